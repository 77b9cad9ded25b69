"""Django admin for the mall mirror: read-only (the cloud is the source of truth).

OrderAdmin also serves as the benchmark's yardstick: its changelist is what an admin-built orders page costs
(COUNT per request, OFFSET paging, LIKE search across lines).
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from mall.models import Commodity, CommodityPrice, Mall, Order, OrderLine, Subscription
from voipadmin.core.admin import ReadOnlyAdmin


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


# The same columns, filters and search as /mall/orders/ — the benchmark compares the two page for page.
ORDER_LIST_DISPLAY = (
    "created_at",
    "order_id",
    "status",
    "commodity_name",
    "amount_trade",
    "currency",
    "mall_code",
    "site_code",
    "device",
)
ORDER_LIST_FILTER = ("status", "mall_code", "site_code", "created_at")
ORDER_SEARCH_FIELDS = ("order_id", "lines__commodity_name", "lines__commodity_code", "lines__sku_code")


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ORDER_LIST_DISPLAY
    list_filter = ORDER_LIST_FILTER
    search_fields = ORDER_SEARCH_FIELDS
    list_select_related = ("device",)
    inlines = [OrderLineInline]


class PriceInline(admin.TabularInline):
    model = CommodityPrice
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Commodity)
class CommodityAdmin(ReadOnlyAdmin):
    list_display = ("commodity_code", "title", "commodity_type", "service_code", "sku_code", "synced_at")
    search_fields = ("commodity_code", "title", "sku_code")
    inlines = [PriceInline]


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ("subscribe_id", "status", "next_at", "order", "mall_code", "site_code", "amount_trade")
    list_filter = ("status",)
    search_fields = ("subscribe_id", "order__order_id")


@admin.register(Mall)
class MallAdmin(ReadOnlyAdmin):
    list_display = ("mall_code", "site_code", "shop_code", "currency", "catalog_code", "synced_at")
