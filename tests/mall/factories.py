"""factory_boy factories for the mall mirror (view and selector tests that need no cloud)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from mall.models import (
    CatalogName,
    Commodity,
    CommodityPrice,
    DeviceCommodity,
    DeviceMall,
    Mall,
    Order,
    OrderLine,
    Subscription,
    SubscriptionItem,
)
from mall.services.upsert import order_day_totals_rebuild

BASE_TIME = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


class MallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mall

    mall_code = factory.Sequence(lambda n: f"MALL{n:04d}")
    site_code = "CN"
    shop_code = "SHOP0001"
    currency = "CNY"
    catalog_code = "VOIP"
    synced_at = factory.LazyFunction(timezone.now)


class CommodityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commodity
        skip_postgeneration_save = True

    commodity_code = factory.Sequence(lambda n: f"CM{n:06d}")
    sku_code = factory.Sequence(lambda n: f"SKU{n:06d}")
    service_code = "voip"
    title = "微信视频通话(VoIP)"
    sub_title = "VoIP"
    commodity_type = 1
    target_url_type = 1
    synced_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def names(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            CatalogName.objects.get_or_create(
                commodity_code=self.commodity_code, sku_code=self.sku_code, name=self.title
            )


class CommodityPriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommodityPrice

    commodity = factory.SubFactory(CommodityFactory)
    option_type = 0
    option_no = factory.Sequence(lambda n: n)
    currency = "CNY"
    price = Decimal("9.90")
    original_price = Decimal("12.00")
    period_unit = 2
    period_value = 1
    period_type = 0
    synced_at = factory.LazyFunction(timezone.now)


class DeviceMallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeviceMall

    catalog_code = "VOIP"
    mall_code = "MALL0001"
    shop_code = "SHOP0001"
    site_code = "CN"
    currency = "CNY"
    synced_at = factory.LazyFunction(timezone.now)


class DeviceCommodityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeviceCommodity

    synced_at = factory.LazyFunction(timezone.now)


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order
        skip_postgeneration_save = True

    order_id = factory.Sequence(lambda n: f"{1740000000000 + n}{n:07d}")
    mall_code = "MALL0001"
    shop_code = "SHOP0001"
    site_code = "CN"
    currency = "CNY"
    amount_origin = Decimal("12.00")
    amount_trade = Decimal("9.90")
    status = "paid"
    order_type_code = "NORMAL"
    trade_type = "JSAPI"
    total_quantity = 1
    created_at = factory.Sequence(lambda n: BASE_TIME - dt.timedelta(minutes=n))
    commodity_code = "CM000000"
    commodity_name = "微信视频通话(VoIP)"
    line_count = 1
    synced_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def with_line(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            OrderLine.objects.create(
                order=self,
                line_no=0,
                commodity_code=self.commodity_code,
                commodity_name=self.commodity_name,
                sku_code="SKU" + self.commodity_code[2:],
                srv_code="voip",
                period_unit=2,
                period_value=1,
                quantity=1,
                unit_price_origin=self.amount_origin,
                unit_price_trade=self.amount_trade,
            )


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription
        skip_postgeneration_save = True

    subscribe_id = factory.Sequence(lambda n: f"SUB{n:010d}")
    status = 1
    next_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=20))
    regular_interval = 1
    regular_unit = 2
    paid_provider = 1
    order_status = "paid"
    order_created_at = factory.Sequence(lambda n: BASE_TIME - dt.timedelta(hours=n))
    mall_code = "MALL0001"
    site_code = "CN"
    currency = "CNY"
    amount_trade = Decimal("8.80")
    amount_origin = Decimal("12.00")
    quantity = 1
    title = "微信视频通话(VoIP)"
    synced_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def with_item(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            SubscriptionItem.objects.create(
                subscription=self,
                line_no=0,
                title=self.title,
                sku_code="SKU000000",
                quantity=1,
                currency=self.currency,
                amount_trade=self.amount_trade,
                amount_origin=self.amount_origin,
            )


def rebuild_totals() -> None:
    order_day_totals_rebuild()
