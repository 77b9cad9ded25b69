"""Typed results of the cloud and WeChat calls (frozen dataclasses), each parsed from the wire at the edge.

Names and shapes follow the calls documented in docs/cloud-api.md and docs/wechat-api.md.

Each model keeps the cloud's meaning with snake_case names; ``parse(o)`` reads one JSON object through
``_parse.Obj``: money -> Decimal, ms epochs -> aware UTC datetimes, codes -> labelled enums. Lists of records
come back as ``Items`` / ``Page``: the records that parsed, plus one error per record that did not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Generic, TypeVar

from voipadmin.core.clients._parse import Malformed, Obj, to_enum, to_str
from voipadmin.core.clients.errors import BadResponse
from voipadmin.core.enums import (
    CommodityType,
    OptionType,
    OrderCommodityType,
    OrderStatus,
    PaidProvider,
    PeriodType,
    PeriodUnit,
    RegularUnit,
    ServiceTag,
    SubscriptionStatus,
    TargetUrlType,
    VasType,
)

T = TypeVar("T")


# -- lists ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Items(Generic[T]):
    """Records of a list answer that parsed, and one BadResponse (naming its field) per one that did not."""

    items: tuple[T, ...]
    errors: tuple[BadResponse, ...] = ()

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> T:
        return self.items[index]

    @property
    def data(self) -> tuple[T, ...]:
        return self.items

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_errors(self) -> Items[T]:
        """Raise the first parse error, if any (for callers that want all or nothing)."""
        if self.errors:
            raise self.errors[0]
        return self


@dataclass(frozen=True)
class Page(Items[T]):
    """One page of a paged listing. ``page_count`` is computed from the total when the cloud omits it."""

    page_no: int = 1
    page_size: int = 0
    total_record: int | None = None
    page_count: int | None = None

    @property
    def has_next(self) -> bool:
        if self.page_count is not None:
            return self.page_no < self.page_count
        return len(self.items) + len(self.errors) >= self.page_size > 0


# -- devices -------------------------------------------------------------------------------------------------
def _vas_types(o: Obj) -> tuple[VasType, ...]:
    return o.list("types", lambda v, p: to_enum(VasType, v, p), required=True)


@dataclass(frozen=True)
class DeviceVasInfo:
    """getDeviceAddValueType: the value-added service types a device supports."""

    id: str
    name: str
    icon: str
    types: tuple[VasType, ...]

    @classmethod
    def parse(cls, o: Obj) -> DeviceVasInfo:
        return cls(
            id=o.str("id", nonempty=True), name=o.str_or("name"), icon=o.str_or("icon"), types=_vas_types(o)
        )


@dataclass(frozen=True)
class Device:
    """getDeviceList item; listDevicesChanged (extension) adds ``owner_id`` and ``modified_at``."""

    id: str
    name: str
    icon: str
    types: tuple[VasType, ...]
    location_name: str | None = None
    uuid: str | None = None
    owner_id: str | None = None
    modified_at: dt.datetime | None = None

    @classmethod
    def parse(cls, o: Obj) -> Device:
        return cls(
            id=o.str("id", nonempty=True),
            name=o.str_or("name"),
            icon=o.str_or("icon"),
            types=_vas_types(o),
            location_name=o.opt_str("locationName"),
            uuid=o.opt_str("uuid"),
            owner_id=o.opt_str("ownerId"),
            modified_at=o.opt_time("gmtModified"),
        )


@dataclass(frozen=True)
class DeviceCapability:
    """getDeviceCapability(code="tyabiwxrn9"): the WeChat mini program the device is bound to."""

    app_id: str
    model_id: str
    original_id: str

    @classmethod
    def parse(cls, o: Obj) -> DeviceCapability:
        return cls(
            app_id=o.str("WechatMPAppid", nonempty=True),
            model_id=o.str("WechatMPMid", nonempty=True),
            original_id=o.str_or("WechatMPOid"),
        )


@dataclass(frozen=True)
class Home:
    """ext/listHomes item (extension)."""

    owner_id: str
    name: str
    geo_name: str | None
    modified_at: dt.datetime | None

    @classmethod
    def parse(cls, o: Obj) -> Home:
        return cls(
            owner_id=o.str("ownerId", nonempty=True),
            name=o.str_or("name"),
            geo_name=o.opt_str("geoName"),
            modified_at=o.opt_time("gmtModified"),
        )


@dataclass(frozen=True)
class CloudUser:
    """ext/listUsers item (extension): a user and the homes they belong to."""

    user_id: str
    user_name: str
    avatar_url: str | None
    home_ids: tuple[str, ...] = ()
    modified_at: dt.datetime | None = None

    @classmethod
    def parse(cls, o: Obj) -> CloudUser:
        return cls(
            user_id=o.str("userId", nonempty=True),
            user_name=o.str_or("userName"),
            avatar_url=o.opt_str("avatarUrl"),
            home_ids=o.list("homeIds", to_str),
            modified_at=o.opt_time("gmtModified"),
        )


@dataclass(frozen=True)
class HomeInfo:
    """ext/getHome (extension): one home with its members' ids."""

    home: Home
    user_ids: tuple[str, ...]

    @classmethod
    def parse(cls, o: Obj) -> HomeInfo:
        return cls(home=Home.parse(o), user_ids=o.list("userIds", to_str))


# -- mall ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MallInfo:
    """getAppMallInfo result, an order's ``mallInfo`` (no currency) or an ext/listMalls item."""

    mall_code: str
    site_code: str
    shop_code: str | None = None
    currency: str | None = None
    catalog_code: str | None = None

    @classmethod
    def parse(cls, o: Obj) -> MallInfo:
        return cls(
            mall_code=o.str("mallCode", nonempty=True),
            site_code=o.str("siteCode", nonempty=True),
            shop_code=o.opt_str("shopCode"),
            currency=o.opt_currency("currency"),
            catalog_code=o.opt_str("catalogCode"),
        )


@dataclass(frozen=True)
class MarketingStrategy:
    """A price's discount (a percentage: 20 means 20%) and free trial period."""

    discount: Decimal | None
    trial_unit: PeriodUnit | None
    trial_value: int | None

    @classmethod
    def parse(cls, o: Obj) -> MarketingStrategy:
        return cls(
            discount=o.opt_money("discount"),
            trial_unit=o.opt_enum("periodUnit", PeriodUnit),
            trial_value=o.opt_int("periodValue"),
        )


@dataclass(frozen=True)
class Price:
    """One purchase option of a commodity (``option_type`` + ``option_no`` identify it when buying)."""

    price: Decimal
    currency: str
    option_type: OptionType
    option_no: int
    period_unit: PeriodUnit | None
    period_value: int | None
    period_type: PeriodType | None
    original_price: Decimal | None = None
    str_price: str | None = None
    str_original_price: str | None = None
    marketing_strategy: MarketingStrategy | None = None

    @classmethod
    def parse(cls, o: Obj) -> Price:
        strategy = o.opt_obj("marketingStrategy")
        return cls(
            price=o.money("price"),
            currency=o.currency("currency"),
            option_type=o.enum("optionType", OptionType),
            option_no=o.int("optionNo"),
            period_unit=o.opt_enum("periodUnit", PeriodUnit),
            period_value=o.opt_int("periodValue"),
            period_type=o.opt_enum("periodType", PeriodType),
            original_price=o.opt_money("originalPrice"),
            str_price=o.opt_str("strPrice"),
            str_original_price=o.opt_str("strOriginalPrice"),
            marketing_strategy=MarketingStrategy.parse(strategy) if strategy else None,
        )


@dataclass(frozen=True)
class Commodity:
    """getCommodityList item: a commodity offered to a device, with its prices."""

    commodity_code: str
    sku_code: str
    service_code: str
    title: str
    sub_title: str
    type: CommodityType
    target_url_type: TargetUrlType | None
    commodity_url: str | None
    uuid: str | None
    prices: tuple[Price, ...]

    @classmethod
    def parse(cls, o: Obj) -> Commodity:
        return cls(
            commodity_code=o.str("commodityCode", nonempty=True),
            sku_code=o.str("skuCode", nonempty=True),
            service_code=o.str_or("serviceCode"),
            title=o.str_or("title"),
            sub_title=o.str_or("subTitle"),
            type=o.enum("type", CommodityType),
            target_url_type=o.opt_enum("targetUrlType", TargetUrlType),
            commodity_url=o.opt_str("commodityUrl"),
            uuid=o.opt_str("uuid"),
            prices=o.objs("prices", Price.parse, required=True),
        )


@dataclass(frozen=True)
class ServicePeriod:
    """An order line's ``skuSrvPeriodDTO``."""

    sku_code: str | None
    srv_code: str | None
    period_unit: PeriodUnit | None
    period_value: int | None

    @classmethod
    def parse(cls, o: Obj) -> ServicePeriod:
        return cls(
            sku_code=o.opt_str("skuCode"),
            srv_code=o.opt_str("srvCode"),
            period_unit=o.opt_enum("srvPeriodUnit", PeriodUnit),
            period_value=o.opt_int("srvPeriodValue"),
        )


def _strings(o: Obj, key: str) -> tuple[str, ...]:
    return o.list(key, to_str)


@dataclass(frozen=True)
class OrderLine:
    """One ``orderCommodityInfos`` entry."""

    commodity_code: str | None
    commodity_name: str
    commodity_type: OrderCommodityType | None
    sku_code: str | None
    quantity: int | None
    unit_price_origin: Decimal | None
    unit_price_trade: Decimal | None
    after_sale_enabled: bool | None
    icon_url: str | None
    sku_values: tuple[str, ...]
    service_period: ServicePeriod | None

    @classmethod
    def parse(cls, o: Obj) -> OrderLine:
        period = o.opt_obj("skuSrvPeriodDTO")
        return cls(
            commodity_code=o.opt_str("commodityCode"),
            commodity_name=o.str_or("commodityName"),
            commodity_type=o.opt_enum("commodityType", OrderCommodityType),
            sku_code=o.opt_str("skuCode"),
            quantity=o.opt_int("quantity"),
            unit_price_origin=o.opt_money("unitPriceOrigin"),
            unit_price_trade=o.opt_money("unitPriceTrade"),
            after_sale_enabled=o.opt_bool("afterSaleEnabled"),
            icon_url=o.opt_str("iconUrl"),
            sku_values=_strings(o, "skuValueList"),
            service_period=ServicePeriod.parse(period) if period else None,
        )


@dataclass(frozen=True)
class Order:
    """getOrderList item (``orderBaseInfo`` flattened; device/home/uid/modified_at are extensions)."""

    order_id: str
    status: OrderStatus
    amount_trade: Decimal
    currency: str
    created_at: dt.datetime
    mall: MallInfo
    amount_origin: Decimal | None = None
    order_type_code: str | None = None
    trade_type: str | None = None
    total_quantity: int | None = None
    am_order: bool | None = None
    after_sale_enabled: bool | None = None
    device_id: str | None = None
    home_id: str | None = None
    uid: str | None = None
    modified_at: dt.datetime | None = None
    lines: tuple[OrderLine, ...] = ()
    logistics_tag: bool | None = None

    @classmethod
    def parse(cls, o: Obj) -> Order:
        base = o.obj("orderBaseInfo")
        logistics = o.opt_obj("orderLogisticsInfo")
        return cls(
            order_id=base.str("orderId", nonempty=True),
            status=base.enum("orderStatus", OrderStatus),
            amount_trade=base.money("amountTrade"),
            currency=base.currency("currency"),
            created_at=base.time("gmtCreate"),
            mall=MallInfo.parse(base.obj("mallInfo")),
            amount_origin=base.opt_money("amountOrigin"),
            order_type_code=base.opt_str("orderTypeCode"),
            trade_type=base.opt_str("tradeType"),
            total_quantity=base.opt_int("totalQuantity"),
            am_order=base.opt_bool("amOrder"),
            after_sale_enabled=base.opt_bool("afterSaleEnabled"),
            device_id=base.opt_str("deviceId"),
            home_id=base.opt_str("homeId"),
            uid=base.opt_str("uid"),
            modified_at=base.opt_time("gmtModified"),
            lines=o.objs("orderCommodityInfos", OrderLine.parse),
            logistics_tag=logistics.opt_bool("orderLogisticsTag") if logistics else None,
        )


@dataclass(frozen=True)
class SubscriptionItem:
    """One ``orderListModel.orderItemList`` entry."""

    title: str
    sku_code: str | None
    quantity: int | None
    amount_origin: Decimal | None
    amount_trade: Decimal | None
    currency: str | None
    sku_pic: str | None
    sku_values: tuple[str, ...]

    @classmethod
    def parse(cls, o: Obj) -> SubscriptionItem:
        return cls(
            title=o.str_or("title"),
            sku_code=o.opt_str("skuCode"),
            quantity=o.opt_int("quantity"),
            amount_origin=o.opt_money("amountOrigin"),
            amount_trade=o.opt_money("amountTrade"),
            currency=o.opt_currency("currency"),
            sku_pic=o.opt_str("skuPic"),
            sku_values=_strings(o, "skuValueList"),
        )


@dataclass(frozen=True)
class SubscriptionOrder:
    """A subscription's ``orderListModel``: the order that started it."""

    order_id: str
    status: OrderStatus | None
    amount_trade: Decimal | None
    amount_origin: Decimal | None
    currency: str | None
    created_at: dt.datetime | None
    quantity: int | None
    mall: MallInfo | None
    items: tuple[SubscriptionItem, ...]

    @classmethod
    def parse(cls, o: Obj) -> SubscriptionOrder:
        mall = o.opt_obj("mallInfo")
        return cls(
            order_id=o.str("orderId", nonempty=True),
            status=o.opt_enum("orderStatus", OrderStatus),
            amount_trade=o.opt_money("amountTrade"),
            amount_origin=o.opt_money("amountOrigin"),
            currency=o.opt_currency("currency"),
            created_at=o.opt_time("orderGmtCreate"),
            quantity=o.opt_int("quantity"),
            mall=MallInfo.parse(mall) if mall else None,
            items=o.objs("orderItemList", SubscriptionItem.parse),
        )


@dataclass(frozen=True)
class Subscription:
    """getSubscriptionOrderList item (``device_id``/``modified_at`` are extensions)."""

    subscribe_id: str
    status: SubscriptionStatus
    order: SubscriptionOrder
    paid_provider: PaidProvider | None = None
    regular_interval: int | None = None
    regular_unit: RegularUnit | None = None
    next_time: dt.datetime | None = None
    device_id: str | None = None
    modified_at: dt.datetime | None = None

    @classmethod
    def parse(cls, o: Obj) -> Subscription:
        return cls(
            subscribe_id=o.str("subscribeId", nonempty=True),
            status=o.enum("status", SubscriptionStatus),
            order=SubscriptionOrder.parse(o.obj("orderListModel")),
            paid_provider=o.opt_enum("paidProvider", PaidProvider),
            regular_interval=o.opt_int("regularInterval"),
            regular_unit=o.opt_enum("regularUnit", RegularUnit),
            next_time=o.opt_time("gmtNextTime"),
            device_id=o.opt_str("deviceId"),
            modified_at=o.opt_time("gmtModified"),
        )


# -- services ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class IntroItem:
    """One entry of a getServiceIntroduction module (protocol link, intro, highlight, name, config item)."""

    id: int | None
    cfg_id: int | None
    type: str
    sub_type: str
    title: str
    subtitle: str
    content: str
    color: str
    lang: str
    display: int | None
    seq: int | None
    attachments: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, o: Obj) -> IntroItem:
        attach = o.opt_obj("attachmentJson")
        pairs = tuple(sorted((k, to_str(v, attach.at(k))) for k, v in attach.data.items())) if attach else ()
        return cls(
            id=o.opt_int("id"),
            cfg_id=o.opt_int("cfgId"),
            type=o.str_or("type"),
            sub_type=o.str_or("subType"),
            title=o.str_or("title"),
            subtitle=o.str_or("subtitle"),
            content=o.str_or("content"),
            color=o.str_or("color"),
            lang=o.str_or("lang"),
            display=o.opt_int("display"),
            seq=o.opt_int("seq"),
            attachments=pairs,
        )


INTRO_MODULES = ("serviceProtocol", "serviceIntro", "serviceLightSpot", "serviceName", "configItem")


@dataclass(frozen=True)
class ServiceIntroduction:
    """getServiceIntroduction: the mini program's service page, module by module."""

    service_protocol: tuple[IntroItem, ...]
    service_intro: tuple[IntroItem, ...]
    service_light_spot: tuple[IntroItem, ...]
    service_name: tuple[IntroItem, ...]
    config_item: tuple[IntroItem, ...]

    @classmethod
    def parse(cls, o: Obj) -> ServiceIntroduction:
        modules = o.obj("moduleList")
        return cls(*(modules.objs(name, IntroItem.parse) for name in INTRO_MODULES))

    def modules(self) -> dict[str, tuple[IntroItem, ...]]:
        """Module name (the cloud's) -> its items."""
        values = (
            self.service_protocol,
            self.service_intro,
            self.service_light_spot,
            self.service_name,
            self.config_item,
        )
        return dict(zip(INTRO_MODULES, values, strict=True))


@dataclass(frozen=True)
class DeviceService:
    """getServiceListByDevice item: a service the device has (or had, or may try)."""

    code: str
    name: str
    type: CommodityType
    start_time: dt.datetime | None = None
    end_time: dt.datetime | None = None
    tags: tuple[ServiceTag, ...] = ()
    is_free: bool | None = None
    is_ay: bool | None = None
    is_exit: bool | None = None
    is_permanent: bool | None = None
    duration: int | None = None
    has_purchased_order: bool | None = None

    @classmethod
    def parse(cls, o: Obj) -> DeviceService:
        return cls(
            code=o.str("code", nonempty=True),
            name=o.str_or("name"),
            type=o.enum("type", CommodityType),
            start_time=o.opt_time("startTime"),
            end_time=o.opt_time("endTime"),
            tags=o.list("tags", lambda v, p: to_enum(ServiceTag, v, p)),
            is_free=o.opt_bool("isFree"),
            is_ay=o.opt_bool("isAY"),
            is_exit=o.opt_bool("isExit"),
            is_permanent=o.opt_bool("isPermanent"),
            duration=o.opt_int("duration"),
            has_purchased_order=o.opt_bool("hasPurchasedOrder"),
        )


# -- VoIP authorization --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class VoipAuthUser:
    """getVoipAuthUser: the device's VoIP auth user and the cloud's (not always right) view of the grant."""

    user_id: str
    user_name: str
    avatar_url: str | None
    is_auth: bool
    is_valid: bool | None
    auth_update_time: dt.datetime | None = None  # extension: when the cloud's auth state last changed

    @classmethod
    def parse(cls, o: Obj) -> VoipAuthUser:
        return cls(
            user_id=o.str("userId", nonempty=True),
            user_name=o.str_or("userName"),
            avatar_url=o.opt_str("avatarUrl"),
            is_auth=o.bool("isAuth"),
            is_valid=o.opt_bool("isValid"),
            auth_update_time=o.opt_time("authUpdateTime"),
        )


@dataclass(frozen=True)
class WxUserInfo:
    """getDeviceWXUserInfo: the user's openId in a mini program."""

    open_id: str
    user_id: str | None

    @classmethod
    def parse(cls, o: Obj) -> WxUserInfo:
        return cls(open_id=o.str("openId", nonempty=True), user_id=o.opt_str("userId"))


@dataclass(frozen=True)
class VoipAuthorization:
    """voipServiceAuthorization: what the mini program passes to wx.requestDeviceVoIP."""

    sn: str
    sn_ticket: str
    model_id: str
    device_name: str  # at most 13 characters

    @classmethod
    def parse(cls, o: Obj) -> VoipAuthorization:
        return cls(
            sn=o.str("sn", nonempty=True),
            sn_ticket=o.str("snTicket", nonempty=True),
            model_id=o.str("modelId", nonempty=True),
            device_name=o.str_or("deviceName"),
        )


# -- writes --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Purchase:
    """buyIncreaseServiceByWx: the created order and the parameters for wx.requestPayment."""

    order_id: str
    order_status: OrderStatus
    pay_params: dict[str, str] = field(default_factory=dict, hash=False)

    @classmethod
    def parse(cls, o: Obj) -> Purchase:
        params = o.opt_obj("payParams")
        # The mini program hands payParams to wx.requestPayment as they are: keep them as text.
        pay = {k: str(v) for k, v in params.data.items()} if params else {}
        return cls(
            order_id=o.str("orderId", nonempty=True),
            order_status=o.enum("orderStatus", OrderStatus),
            pay_params=pay,
        )


@dataclass(frozen=True)
class ExchangeResult:
    """exchangeCode's answer: ``success`` (false: the cloud said no), the service extended and its new end."""

    success: bool
    service_code: str | None
    end_time: dt.datetime | None

    @classmethod
    def parse(cls, o: Obj) -> ExchangeResult:
        success = o.opt_bool("success")
        return cls(
            success=success is not False,
            service_code=o.opt_str("serviceCode"),
            end_time=o.opt_time("endTime"),
        )


# -- WeChat --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AuthObservation:
    """One (sn, openid) answer of the authorization observation endpoint, with when it was observed."""

    sn: str
    model_id: str
    openid: str
    authorized: bool
    observed_at: dt.datetime

    @classmethod
    def parse(cls, o: Obj, observed_at: dt.datetime) -> AuthObservation:
        status = o.int("status")
        if status not in (0, 1):
            raise Malformed(o.at("status"), f"expected 0 or 1, got {status}")
        return cls(
            sn=o.str("sn", nonempty=True),
            model_id=o.str("model_id", nonempty=True),
            openid=o.str("openid", nonempty=True),
            authorized=status == 1,
            observed_at=observed_at,
        )


@dataclass(frozen=True)
class SnTicket:
    """getsnticket: a device ticket for wx.requestDeviceVoIP, valid for 5 minutes."""

    sn: str
    model_id: str
    ticket: str
    expires_at: dt.datetime
