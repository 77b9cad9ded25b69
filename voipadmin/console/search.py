"""Support lookup: any id a customer gives (device, home, order, subscription, user, openId, UUID) or a name.

Cross-app by design: this module may read from both apps; the apps never import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from devices.models import CloudUser, Device, Home, VoipAuthState, WeChatIdentity
from voipadmin.core.textsearch import name_key, name_q

GROUP_LIMIT = 20


@dataclass(frozen=True)
class Hit:
    label: str
    id: str
    url: str
    note: str = ""


@dataclass
class Group:
    title: str
    items: list[Hit] = field(default_factory=list)
    more: bool = False


def exact_match(q: str) -> str | None:
    """The URL of the one object whose id is exactly ``q``, if there is one."""
    if Device.objects.filter(pk=q).exists():
        return reverse("devices:device-detail", args=[q])
    if Home.objects.filter(pk=q).exists():
        return reverse("devices:home-detail", args=[q])
    if CloudUser.objects.filter(pk=q).exists():
        return reverse("user-detail", args=[q])
    for url in _mall_exact(q):
        return url
    if device_id := Device.objects.filter(uuid=q).values_list("pk", flat=True).first():
        return reverse("devices:device-detail", args=[device_id])
    if user_id := _user_for_open_id(q):
        return reverse("user-detail", args=[user_id])
    return None


def _user_for_open_id(open_id: str) -> str | None:
    user_id = WeChatIdentity.objects.filter(open_id=open_id).values_list("user_id", flat=True).first()
    if user_id is None:
        user_id = VoipAuthState.objects.filter(open_id=open_id).values_list("user_id", flat=True).first()
    return user_id


def _mall_exact(q: str) -> list[str]:
    """Orders and subscriptions (the mall app's pages)."""
    from mall.models import Order, Subscription

    if Order.objects.filter(pk=q).exists():
        return [reverse("mall:order-detail", args=[q])]
    if Subscription.objects.filter(pk=q).exists():
        return [reverse("mall:subscription-detail", args=[q])]
    return []


def _first(queries: list[QuerySet]) -> tuple[list, bool]:
    """Rows of each query in turn, without repeats: the first ``GROUP_LIMIT`` and whether there are more.

    Each query reads at most one row past the limit, and none is asked once the group is full."""
    rows: dict = {}
    for query in queries:
        if len(rows) > GROUP_LIMIT:
            break
        for row in query[: GROUP_LIMIT + 1]:
            rows.setdefault(row.pk, row)
    found = list(rows.values())
    return found[:GROUP_LIMIT], len(found) > GROUP_LIMIT


def _group(title: str, queries: list[QuerySet], make) -> Group | None:
    rows, more = _first(queries)
    if not rows:
        return None
    return Group(title=title, items=[make(r) for r in rows], more=more)


def _by_id_then_name(model, name: str, q: str, *id_fields: str) -> list[QuerySet]:
    """Rows whose id starts with ``q`` (by id), then rows whose name matches it (by ``name_key``).

    One query per column, each served in its order by that column's own index: an ``OR`` of them has no index
    order, and the planner then guesses between reading every match and walking a name index past the rest.
    """
    rows = model.objects.all()
    by_id = [rows.filter(**{f"{f}__startswith": q}).order_by(f) for f in id_fields]
    return [*by_id, rows.filter(name_q(name, q)).order_by(name_key(name), "pk")]


def grouped_matches(q: str) -> list[Group]:
    """Devices by id or UUID prefix or by name; homes and users by id prefix or name — each group bounded.

    Ids are matched as exactly as ``exact_match`` matches them (case and all), so each prefix is served by its
    column's own index; names follow voipadmin/core/textsearch.py. Id matches come first: a query that starts
    an id is one.
    """
    devices = [d.select_related("home") for d in _by_id_then_name(Device, "name", q, "pk", "uuid")]
    groups = [
        _group(
            _("Devices"),
            devices,
            lambda d: Hit(
                d.name or d.device_id,
                d.device_id,
                reverse("devices:device-detail", args=[d.device_id]),
                d.home.name if d.home else "",
            ),
        ),
        _group(
            _("Homes"),
            _by_id_then_name(Home, "name", q, "pk"),
            lambda h: Hit(
                h.name or h.owner_id, h.owner_id, reverse("devices:home-detail", args=[h.owner_id])
            ),
        ),
        _group(
            _("Users"),
            _by_id_then_name(CloudUser, "user_name", q, "pk"),
            lambda u: Hit(u.user_name or u.user_id, u.user_id, reverse("user-detail", args=[u.user_id])),
        ),
    ]
    return [g for g in groups if g is not None]
