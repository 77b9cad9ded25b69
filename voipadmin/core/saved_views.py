"""Saved views: a list's filters under a name, as tabs above the list, and pinned ones as overview tiles.

A module of the roof: it knows every list that has the one filter component (its URL, FilterSet and selector),
so a pinned view's tile counts with the list's own selector (``.count()`` on its indexed filters, cached
briefly), never by scanning rows in Python. A view stores the query string normalized: filters only (no page,
cursor or export), empty values dropped, keys and values sorted, so the same filters are the same view.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Q
from django.http import QueryDict
from django.urls import get_script_prefix, reverse
from django.utils.http import urlencode
from django.utils.module_loading import import_string

from voipadmin.core import cached
from voipadmin.core.filters import PAGING_PARAMS
from voipadmin.core.models import SavedView

COUNT_SECONDS = 60
MAX_QUERY = 1000


@dataclass(frozen=True)
class ListSpec:
    url_name: str
    filterset: str  # dotted path of the list's FilterSet
    selector: str  # dotted path of the selector that builds its queryset from the cleaned filters


LISTS: dict[str, ListSpec] = {
    "devices": ListSpec(
        "devices:device-list", "devices.filters.DeviceFilter", "devices.selectors.device_list"
    ),
    "homes": ListSpec("devices:home-list", "devices.filters.HomeFilter", "devices.selectors.home_list"),
    "orders": ListSpec("mall:order-list", "mall.filters.OrderFilter", "mall.selectors.order_list"),
    "subscriptions": ListSpec(
        "mall:subscription-list", "mall.filters.SubscriptionFilter", "mall.selectors.subscription_list"
    ),
    "audit": ListSpec("audit", "voipadmin.core.filters.AuditFilter", "voipadmin.core.selectors.audit_events"),
    "syncs": ListSpec("syncs", "voipadmin.core.filters.SyncFilter", "voipadmin.core.selectors.sync_runs"),
}


def list_for_path(path: str) -> str | None:
    """The saved-view list a page's path shows, or None."""
    return _list_paths(get_script_prefix()).get(path)


@functools.cache
def _list_paths(prefix: str) -> dict[str, str]:
    return {reverse(spec.url_name): name for name, spec in LISTS.items()}


def normalize(query: QueryDict | str) -> str:
    """The filters of a query string, sorted, without paging or export and without empty values."""
    data = QueryDict(query) if isinstance(query, str) else query
    pairs = sorted(
        (key, value)
        for key in data
        if key not in PAGING_PARAMS
        for value in data.getlist(key)
        if value.strip()
    )
    return urlencode(pairs)[:MAX_QUERY]


def view_url(view: SavedView) -> str:
    base = reverse(LISTS[view.list_name].url_name)
    return f"{base}?{view.query}" if view.query else base


def visible_views(user: Any, list_name: str | None = None) -> Any:
    """The views a person sees: their own and those shared with the team."""
    views = SavedView.objects.filter(Q(owner=user) | Q(shared=True)).select_related("owner")
    return views.filter(list_name=list_name) if list_name else views


@dataclass(frozen=True)
class Tab:
    """A saved view as its list's tab shows it (a plain value: the layout caches the tabs)."""

    name: str
    url: str
    query: str
    shared: bool
    owner_id: int
    owner_name: str


def tabs_key(user: Any, list_name: str) -> tuple[str, str]:
    """Where the tabs of a list are kept for a person (voipadmin/core/cached.py)."""
    return ("saved-views", f"{user.pk}:{list_name}")


def tabs_of(user: Any, list_name: str, many: cached.Many | None = None) -> list[Tab]:
    """The tabs above a list for this person, cached until a saved view or a person's name changes."""

    def read() -> list[Tab]:
        views = visible_views(user, list_name).order_by("name", "id")
        return [
            Tab(v.name, view_url(v), v.query, v.shared, v.owner_id, v.owner.get_username()) for v in views
        ]

    many = many or cached.Many({"tabs": tabs_key(user, list_name)})
    return many.get("tabs", read)


def connect_view_changes() -> None:
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_delete, post_save

    receiver = cached.changed_on("saved-views")
    for model in (SavedView, get_user_model()):  # a person's name is shown on the views they share
        post_save.connect(
            receiver, sender=model, dispatch_uid=f"voipadmin.saved-views.{model.__name__}-saved"
        )
        post_delete.connect(
            receiver, sender=model, dispatch_uid=f"voipadmin.saved-views.{model.__name__}-deleted"
        )


def view_count(view: SavedView) -> int | None:
    """What the view shows, counted by its list's selector; None when its filters no longer validate."""
    key = "savedview:" + hashlib.sha256(f"{view.list_name}?{view.query}".encode()).hexdigest()[:32]
    cached = cache.get(key)
    if cached is not None:
        return cached if cached >= 0 else None
    count = _count(view)
    cache.set(key, -1 if count is None else count, COUNT_SECONDS)
    return count


def _count(view: SavedView) -> int | None:
    spec = LISTS[view.list_name]
    data = QueryDict(view.query)
    filters = import_string(spec.filterset)(data)
    if not filters.is_valid():
        return None
    selector: Callable[..., Any] = import_string(spec.selector)
    return selector(filters=filters.cleaned_data).order_by().count()


def pinned_tiles() -> list[dict[str, Any]]:
    """The overview's tiles: each pinned shared view with its count and link."""
    views = SavedView.objects.filter(pinned=True, shared=True).select_related("owner").order_by("name", "id")
    return [{"view": v, "count": view_count(v), "url": view_url(v)} for v in views[:12]]
