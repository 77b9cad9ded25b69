"""CSV of the current orders or subscriptions filter, streamed: a million rows never sit in memory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from mall import selectors
from mall.models import Subscription
from mall.money import money_text
from voipadmin.core.csvstream import csv_lines

CHUNK = 2000


def _local(value: Any) -> str:
    return timezone.localtime(value).isoformat() if value else ""


def order_rows(*, filters: dict[str, Any]) -> Iterator[str]:
    # The export is the whole filter, not the page: the cursor only says where a page starts.
    filters = {**filters, "cursor": None}
    fields = [
        "order_id",
        "created_at",
        "status",
        "mall_code",
        "site_code",
        "currency",
        "amount_trade",
        "amount_origin",
        "commodity_code",
        "commodity_name",
        "line_count",
        "order_type_code",
        "trade_type",
        "device_id",
        "home_id",
        "user_id",
    ]
    qs = selectors.order_list(filters=filters).order_by("-created_at", "-order_id").values_list(*fields)
    header = [
        pgettext("mall order", "Order"),
        _("Created"),
        _("Status"),
        _("Mall"),
        _("Site"),
        _("Currency"),
        _("Amount"),
        _("Original amount"),
        _("Commodity code"),
        _("Commodity"),
        _("Lines"),
        _("Order type"),
        _("Trade type"),
        _("Device"),
        pgettext("household", "Home"),
        _("User"),
    ]

    def rows() -> Iterator[list[Any]]:
        for r in qs.iterator(chunk_size=CHUNK):
            yield [
                r[0],
                _local(r[1]),
                *r[2:6],
                money_text(r[6]),
                money_text(r[7]),
                *r[8:13],
                *(v or "" for v in r[13:]),
            ]

    return csv_lines(header, rows())


def subscription_rows(*, filters: dict[str, Any]) -> Iterator[str]:
    filters = {**filters, "cursor": None}
    fields = [
        "subscribe_id",
        "status",
        "next_at",
        "regular_interval",
        "regular_unit",
        "paid_provider",
        "order_id",
        "order_status",
        "order_created_at",
        "mall_code",
        "site_code",
        "currency",
        "amount_trade",
        "title",
        "device_id",
    ]
    qs = (
        selectors.subscription_list(filters=filters)
        .order_by("-order_created_at", "-subscribe_id")
        .values_list(*fields)
    )
    header = [
        _("Subscription"),
        _("Status"),
        _("Next billing"),
        _("Interval"),
        _("Interval unit"),
        _("Paid by"),
        pgettext("mall order", "Order"),
        _("Order status"),
        _("Order created"),
        _("Mall"),
        _("Site"),
        _("Currency"),
        _("Amount"),
        _("Commodity"),
        _("Device"),
    ]

    def rows() -> Iterator[list[Any]]:
        for r in qs.iterator(chunk_size=CHUNK):
            yield [
                r[0],
                "" if r[1] is None else r[1],
                "" if r[1] in Subscription.ENDED_STATUSES else _local(r[2]),
                *("" if v is None else v for v in r[3:6]),
                r[6] or "",
                r[7],
                _local(r[8]),
                *r[9:12],
                money_text(r[12]),
                r[13],
                r[14] or "",
            ]

    return csv_lines(header, rows())
