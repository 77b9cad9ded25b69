"""The layout's header parts that are the same on every page but for the reader's place and language.

Every page draws the header, so it is worth its cost: the ten main links are reversed once per process, not
ten times a page (with ten comparisons in the template), and the language and time-zone menus are drawn once
per choice. The markup is what
templates/_topbar.html drew inline before.
"""

from __future__ import annotations

import functools
from typing import Any

from django import template
from django.conf import settings
from django.urls import get_script_prefix, reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

register = template.Library()

# (URL name, label, the path prefix that marks it current; None: the path is exactly "/")
MAIN_NAV: tuple[tuple[str, Any, str | None], ...] = (
    ("overview", _("Overview"), None),
    ("devices:home-list", _("Homes"), "/homes/"),
    ("devices:device-list", _("Devices"), "/devices/"),
    ("mall:commodity-list", _("Catalog"), "/mall/commodities"),
    ("mall:order-list", _("Orders"), "/mall/orders"),
    ("mall:subscription-list", _("Subscriptions"), "/mall/subscriptions"),
    ("devices:reconciliation-list", _("Reconciliation"), "/reconciliation"),
    ("audit", _("Audit"), "/audit"),
    ("syncs", _("Syncs"), "/syncs"),
    ("schedules", _("Schedules"), "/schedules"),
)


@functools.cache
def _reversed(prefix: str) -> tuple[str, ...]:
    return tuple(reverse(name) for name, _label, _here in MAIN_NAV)


@register.simple_tag(takes_context=True)
def main_nav(context: dict[str, Any]) -> SafeString:
    """The main links, the one for this page marked current."""
    request = context.get("request")  # the 500 page renders without one
    here = request.path if request is not None else ""
    items = []
    for url, (_name, label, prefix) in zip(_reversed(get_script_prefix()), MAIN_NAV, strict=True):
        current = here == "/" if prefix is None else here.startswith(prefix)
        mark = ' aria-current="page"' if current else ""
        items.append(f'<li><a href="{escape(url)}"{mark}>{escape(label)}</a></li>')
    return mark_safe("\n".join(items))  # noqa: S308 -- the URLs and labels are escaped above


@register.simple_tag
def language_options(current: str) -> SafeString:
    return _language_options(current)


@functools.lru_cache(maxsize=64)
def _language_options(current: str) -> SafeString:
    options = []
    for code, _name in settings.LANGUAGES:
        info = get_language_info(code)
        selected = " selected" if info["code"] == current else ""
        options.append(
            f'<option value="{escape(info["code"])}"{selected}>{escape(info["name_local"])}</option>'
        )
    return mark_safe("".join(options))  # noqa: S308 -- escaped above


@register.simple_tag
def time_zone_options(current: str) -> SafeString:
    return _time_zone_options(current)


@functools.lru_cache(maxsize=64)
def _time_zone_options(current: str) -> SafeString:
    options = (
        f'<option value="{escape(tz)}"{" selected" if tz == current else ""}>{escape(tz)}</option>'
        for tz in settings.USER_TIME_ZONES
    )
    return mark_safe("".join(options))  # noqa: S308 -- escaped above
