"""The local mirror of the mall: malls, the catalog with prices, orders, subscriptions, service introductions.

Field names are ours (snake_case); the mapping from the cloud's names lives in ``mall.services.sync``.
Devices, homes and users are referenced without a database constraint: the cloud may name a device the
mirror has not synced yet, and an order must still be stored (the link resolves once the device arrives).
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from devices.models import CloudUser, Device, Home
from mall.fields import MoneyField


def _loose_fk(to: type[models.Model], related_name: str, verbose_name: str) -> models.ForeignKey:
    return models.ForeignKey(
        to,
        verbose_name=verbose_name,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        # Each is the first column of a composite index below; a lone index would only slow the writes.
        db_index=False,
        related_name=related_name,
    )


class Mall(models.Model):
    """A mall/site pair (ext/listMalls, or learnt from getAppMallInfo)."""

    mall_code = models.CharField(_("mall"), max_length=64)
    site_code = models.CharField(_("site"), max_length=16)
    shop_code = models.CharField(_("shop"), max_length=64, blank=True)
    currency = models.CharField(_("currency"), max_length=8)
    catalog_code = models.CharField(_("catalog"), max_length=32, blank=True)
    synced_at = models.DateTimeField(_("last synced"))

    class Meta:
        ordering = ["catalog_code", "site_code", "mall_code"]
        verbose_name = _("mall")
        verbose_name_plural = _("malls")
        constraints = [models.UniqueConstraint(fields=["mall_code", "site_code"], name="mall_site")]

    def __str__(self) -> str:
        return f"{self.mall_code} / {self.site_code}"


class DeviceMall(models.Model):
    """getAppMallInfo for one device and one catalog: where that device buys that kind of service."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="mall_infos")
    catalog_code = models.CharField(_("catalog"), max_length=32)
    mall_code = models.CharField(_("mall"), max_length=64)
    shop_code = models.CharField(_("shop"), max_length=64, blank=True)
    site_code = models.CharField(_("site"), max_length=16)
    currency = models.CharField(_("currency"), max_length=8)
    synced_at = models.DateTimeField(_("last synced"))

    class Meta:
        ordering = ["catalog_code"]
        verbose_name = _("device mall")
        verbose_name_plural = _("device malls")
        constraints = [models.UniqueConstraint(fields=["device", "catalog_code"], name="device_mall_catalog")]

    def __str__(self) -> str:
        return f"{self.device_id} {self.catalog_code}: {self.mall_code}/{self.site_code}"


class Commodity(models.Model):
    commodity_code = models.CharField(_("commodity"), max_length=64, primary_key=True)
    sku_code = models.CharField(_("SKU"), max_length=64, db_index=True)
    service_code = models.CharField(_("service"), max_length=128, blank=True, db_index=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    sub_title = models.CharField(_("subtitle"), max_length=200, blank=True)
    commodity_url = models.CharField(_("purchase URL"), max_length=500, blank=True)
    target_url_type = models.IntegerField(_("target URL type"), null=True, blank=True)
    commodity_type = models.IntegerField(_("type"), null=True, blank=True, db_index=True)
    synced_at = models.DateTimeField(_("last synced"))

    class Meta:
        ordering = ["commodity_type", "title", "commodity_code"]
        verbose_name = _("commodity")
        verbose_name_plural = _("commodities")

    def __str__(self) -> str:
        return self.title or self.commodity_code


class CommodityPrice(models.Model):
    """One price option of a commodity: what it costs for which period, and its marketing strategy."""

    commodity = models.ForeignKey(Commodity, on_delete=models.CASCADE, related_name="prices")
    option_type = models.IntegerField(_("option type"))
    option_no = models.IntegerField(_("option"))
    currency = models.CharField(_("currency"), max_length=8)
    price = MoneyField(_("price"))
    original_price = MoneyField(_("original price"), null=True, blank=True)
    period_unit = models.IntegerField(_("period unit"), null=True, blank=True)
    period_value = models.IntegerField(_("period"), null=True, blank=True)
    period_type = models.IntegerField(_("period type"), null=True, blank=True)
    # A percentage ("20" is 20 % off); exact like money, since the cloud may send 12.5.
    discount = MoneyField(_("discount %"), null=True, blank=True)
    trial_unit = models.IntegerField(_("trial unit"), null=True, blank=True)
    trial_value = models.IntegerField(_("trial"), null=True, blank=True)
    synced_at = models.DateTimeField(_("last synced"))

    class Meta:
        ordering = ["commodity", "option_type", "option_no"]
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        constraints = [
            models.UniqueConstraint(
                fields=["commodity", "option_type", "option_no"], name="commodity_price_option"
            )
        ]

    def __str__(self) -> str:
        return f"{self.commodity_id}#{self.option_type}.{self.option_no} {self.price} {self.currency}"


class PriceSet(models.Model):
    """The prices one commodity is offered at, as some devices get them; identical sets are one row.

    ``digest`` is a hash of the commodity and its normalized prices, so a million devices offered the same
    prices point at one row, not at a million copies of them. ``prices`` keeps the options as the mapping
    makes them (decimals as strings); the summary columns serve the catalog's ranges without reading them."""

    digest = models.CharField(_("digest"), max_length=64, unique=True)
    commodity = models.ForeignKey(Commodity, on_delete=models.CASCADE, related_name="price_sets")
    prices = models.JSONField(_("prices"), default=list)
    currency = models.CharField(_("currency"), max_length=8, blank=True)
    min_price = MoneyField(_("lowest price"), null=True, blank=True)
    max_price = MoneyField(_("highest price"), null=True, blank=True)
    has_trial = models.BooleanField(_("trial"), default=False)
    has_discount = models.BooleanField(_("discount"), default=False)
    created_at = models.DateTimeField(_("first seen"), auto_now_add=True)

    class Meta:
        verbose_name = _("price set")
        verbose_name_plural = _("price sets")

    def __str__(self) -> str:
        return f"{self.commodity_id} {self.digest[:10]}"


class DeviceCommodity(models.Model):
    """A commodity on offer to a device (it came back in that device's getCommodityList), at its price set."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="mall_offers")
    commodity = models.ForeignKey(Commodity, on_delete=models.CASCADE, related_name="offers")
    price_set = models.ForeignKey(
        PriceSet,
        verbose_name=_("prices"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="offers",
    )
    synced_at = models.DateTimeField(_("last synced"))

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        constraints = [models.UniqueConstraint(fields=["device", "commodity"], name="device_commodity")]
        indexes = [models.Index(fields=["commodity", "device"], name="commodity_device")]

    def __str__(self) -> str:
        return f"{self.device_id}: {self.commodity_id}"


class CatalogName(models.Model):
    """Every name a commodity has been sold under (each language, as offered and as ordered).

    Small: a few rows per commodity. A name search in the orders matches here first, in Python, and then
    becomes an indexed lookup of order lines by commodity code — no LIKE over a million lines.
    """

    commodity_code = models.CharField(_("commodity"), max_length=64)
    sku_code = models.CharField(_("SKU"), max_length=64, blank=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("catalog name")
        verbose_name_plural = _("catalog names")
        constraints = [
            models.UniqueConstraint(fields=["commodity_code", "sku_code", "name"], name="catalog_name_unique")
        ]

    def __str__(self) -> str:
        return f"{self.commodity_code}: {self.name}"


class Order(models.Model):
    order_id = models.CharField(_("order"), max_length=64, primary_key=True)
    mall_code = models.CharField(_("mall"), max_length=64)
    shop_code = models.CharField(_("shop"), max_length=64, blank=True)
    site_code = models.CharField(_("site"), max_length=16)
    currency = models.CharField(_("currency"), max_length=8)
    amount_origin = MoneyField(_("original amount"), null=True, blank=True)
    amount_trade = MoneyField(_("amount"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=32)
    order_type_code = models.CharField(_("order type"), max_length=32, blank=True)
    trade_type = models.CharField(_("trade type"), max_length=32, blank=True)
    total_quantity = models.IntegerField(_("quantity"), null=True, blank=True)
    am_order = models.BooleanField(_("AM order"), default=False)
    after_sale_enabled = models.BooleanField(_("after-sale"), default=False)
    created_at = models.DateTimeField(_("created"))
    cloud_modified_at = models.DateTimeField(_("changed in the cloud"), null=True, blank=True)
    # Denormalized from the first line so a list page needs no join; the search uses OrderLine.
    commodity_code = models.CharField(_("commodity"), max_length=64, blank=True)
    commodity_name = models.CharField(_("commodity"), max_length=200, blank=True)
    line_count = models.PositiveSmallIntegerField(_("lines"), default=0)
    device = _loose_fk(Device, "orders", _("device"))
    home = _loose_fk(Home, "orders", _("home"))
    user = _loose_fk(CloudUser, "orders", _("user"))
    synced_at = models.DateTimeField(_("last synced"))

    class Meta:
        ordering = ["-created_at", "-order_id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        # Every list is newest first with the order id as tie-breaker, so each filter has an index that
        # ends in that key: the keyset page is an index range scan whatever its depth.
        indexes = [
            models.Index(fields=["-created_at", "-order_id"], name="order_keyset"),
            models.Index(fields=["status", "-created_at", "-order_id"], name="order_status_keyset"),
            models.Index(fields=["device", "-created_at", "-order_id"], name="order_device_keyset"),
            models.Index(
                fields=["mall_code", "site_code", "-created_at", "-order_id"], name="order_mall_keyset"
            ),
            models.Index(fields=["user", "-created_at"], name="order_user_time"),
            models.Index(fields=["home", "-created_at"], name="order_home_time"),
        ]

    def __str__(self) -> str:
        return self.order_id


class OrderLine(models.Model):
    """One commodity line of an order (orderCommodityInfos)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveSmallIntegerField(_("line"))
    commodity_code = models.CharField(_("commodity"), max_length=64)
    commodity_name = models.CharField(_("name"), max_length=200, blank=True)
    commodity_type = models.IntegerField(_("type"), null=True, blank=True)
    sku_code = models.CharField(_("SKU"), max_length=64, blank=True)
    srv_code = models.CharField(_("service"), max_length=128, blank=True)
    period_unit = models.IntegerField(_("period unit"), null=True, blank=True)
    period_value = models.IntegerField(_("period"), null=True, blank=True)
    quantity = models.IntegerField(_("quantity"), null=True, blank=True)
    unit_price_origin = MoneyField(_("original unit price"), null=True, blank=True)
    unit_price_trade = MoneyField(_("unit price"), null=True, blank=True)
    after_sale_enabled = models.BooleanField(_("after-sale"), default=False)
    icon_url = models.CharField(_("icon"), max_length=500, blank=True)
    sku_values = models.JSONField(_("SKU values"), default=list, blank=True)

    class Meta:
        ordering = ["order", "line_no"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [models.UniqueConstraint(fields=["order", "line_no"], name="order_line_no")]
        # A name search arrives as catalog codes: (code, order) answers "orders with any of these codes".
        indexes = [
            models.Index(fields=["commodity_code", "order"], name="line_code_order"),
            models.Index(fields=["sku_code", "order"], name="line_sku_order"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.line_no}"


class OrderDayTotal(models.Model):
    """Orders and amounts per local day, mall/site, status and currency, rebuilt by the sync.

    The totals of a filter over status, mall, site and dates add these small rows instead of scanning
    the orders table on every request.
    """

    day = models.DateField(_("day"))
    mall_code = models.CharField(_("mall"), max_length=64)
    site_code = models.CharField(_("site"), max_length=16)
    status = models.CharField(_("status"), max_length=32)
    currency = models.CharField(_("currency"), max_length=8)
    orders = models.PositiveIntegerField(_("orders"))
    amount_trade = MoneyField(_("amount"))
    amount_origin = MoneyField(_("original amount"))

    class Meta:
        verbose_name = _("daily order total")
        verbose_name_plural = _("daily order totals")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "mall_code", "site_code", "status", "currency"], name="order_day_total_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.mall_code}/{self.site_code} {self.status} {self.currency}"


class Subscription(models.Model):
    subscribe_id = models.CharField(_("subscription"), max_length=64, primary_key=True)
    status = models.IntegerField(_("status"), null=True, blank=True)
    next_at = models.DateTimeField(_("next billing"), null=True, blank=True)
    regular_interval = models.IntegerField(_("interval"), null=True, blank=True)
    regular_unit = models.IntegerField(_("interval unit"), null=True, blank=True)
    paid_provider = models.IntegerField(_("paid by"), null=True, blank=True)
    # The order as the subscription listing shows it (orderListModel); the Order row may be newer.
    order = models.ForeignKey(
        Order,
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="subscriptions",
    )
    order_status = models.CharField(_("order status"), max_length=32, blank=True)
    order_created_at = models.DateTimeField(_("order created"), null=True, blank=True)
    mall_code = models.CharField(_("mall"), max_length=64)
    shop_code = models.CharField(_("shop"), max_length=64, blank=True)
    site_code = models.CharField(_("site"), max_length=16)
    currency = models.CharField(_("currency"), max_length=8, blank=True)
    amount_origin = MoneyField(_("original amount"), null=True, blank=True)
    amount_trade = MoneyField(_("amount"), null=True, blank=True)
    quantity = models.IntegerField(_("quantity"), null=True, blank=True)
    title = models.CharField(_("commodity"), max_length=200, blank=True)
    device = _loose_fk(Device, "subscriptions", _("device"))
    # From its order (the subscription listing names no user).
    user = _loose_fk(CloudUser, "subscriptions", _("user"))
    cloud_modified_at = models.DateTimeField(_("changed in the cloud"), null=True, blank=True)
    synced_at = models.DateTimeField(_("last synced"))

    class Meta:
        ordering = ["-order_created_at", "-subscribe_id"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        indexes = [
            models.Index(fields=["-order_created_at", "-subscribe_id"], name="subscription_keyset"),
            models.Index(
                fields=["status", "-order_created_at", "-subscribe_id"], name="subscription_status_keyset"
            ),
            models.Index(fields=["device", "-order_created_at"], name="subscription_device"),
            models.Index(fields=["user", "-order_created_at"], name="subscription_user"),
            models.Index(fields=["next_at"], name="subscription_next"),
        ]

    def __str__(self) -> str:
        return self.subscribe_id

    # A cancelled or expired subscription bills no more: the cloud's next_at is a leftover, never shown.
    ENDED_STATUSES = (4, 5)

    @property
    def next_billing_at(self) -> dt.datetime | None:
        return None if self.status in self.ENDED_STATUSES else self.next_at


class SubscriptionItem(models.Model):
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="items")
    line_no = models.PositiveSmallIntegerField(_("line"))
    title = models.CharField(_("title"), max_length=200, blank=True)
    sku_code = models.CharField(_("SKU"), max_length=64, blank=True)
    sku_pic = models.CharField(_("picture"), max_length=500, blank=True)
    quantity = models.IntegerField(_("quantity"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=8, blank=True)
    amount_origin = MoneyField(_("original amount"), null=True, blank=True)
    amount_trade = MoneyField(_("amount"), null=True, blank=True)
    sku_values = models.JSONField(_("SKU values"), default=list, blank=True)

    class Meta:
        ordering = ["subscription", "line_no"]
        verbose_name = _("subscription item")
        verbose_name_plural = _("subscription items")
        constraints = [
            models.UniqueConstraint(fields=["subscription", "line_no"], name="subscription_item_no")
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id}/{self.line_no}"


class ServiceIntroduction(models.Model):
    """getServiceIntroduction for one category: the page the mini program shows before a purchase."""

    category_code = models.CharField(_("category"), max_length=64, primary_key=True)
    synced_at = models.DateTimeField(_("last synced"))

    class Meta:
        ordering = ["category_code"]
        verbose_name = _("service introduction")
        verbose_name_plural = _("service introductions")

    def __str__(self) -> str:
        return self.category_code


class ServiceIntroItem(models.Model):
    class Module(models.TextChoices):
        NAME = "serviceName", _("name")
        INTRO = "serviceIntro", _("introduction")
        LIGHT_SPOT = "serviceLightSpot", _("highlight")
        PROTOCOL = "serviceProtocol", _("service agreement")
        CONFIG = "configItem", _("configuration")

    introduction = models.ForeignKey(ServiceIntroduction, on_delete=models.CASCADE, related_name="items")
    module = models.CharField(_("module"), max_length=32, choices=Module.choices)
    item_id = models.BigIntegerField(_("id"))
    cfg_id = models.BigIntegerField(_("config id"), null=True, blank=True)
    lang = models.CharField(_("language"), max_length=16, blank=True)
    title = models.CharField(_("title"), max_length=300, blank=True)
    subtitle = models.CharField(_("subtitle"), max_length=300, blank=True)
    content = models.TextField(_("content"), blank=True)
    color = models.CharField(_("colour"), max_length=32, blank=True)
    display = models.BooleanField(_("shown"), default=True)
    sub_type = models.CharField(_("subtype"), max_length=64, blank=True)
    seq = models.IntegerField(_("order"), default=0)
    attachments = models.JSONField(_("attachments"), default=dict, blank=True)

    class Meta:
        ordering = ["introduction", "module", "seq", "item_id"]
        verbose_name = _("service introduction item")
        verbose_name_plural = _("service introduction items")
        constraints = [
            models.UniqueConstraint(fields=["introduction", "module", "item_id"], name="service_intro_item")
        ]

    def __str__(self) -> str:
        return f"{self.introduction_id}/{self.module}/{self.item_id}"
