from __future__ import annotations

import functools
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from voipadmin.core import cached
from voipadmin.core.alerts import OPEN_COUNT_KEY, open_alert_count
from voipadmin.core.roles import ROLE_LABELS, role_key, shown_role_of
from voipadmin.core.saved_views import list_for_path, tabs_key


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The layout's per-user values, each read only if the page draws it (templates call a callable: a list's
    htmx fragment has no bell and no user menu), and all from the cache in one round trip (voipadmin/core/
    cached.py): the role, the open alerts' count, and the saved views of the list on the page."""
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return {
            "open_alerts": 0,
            "user_role": None,
            "current_time_zone": timezone.get_current_timezone_name(),
        }
    wanted = {"role": role_key(user), "alerts": OPEN_COUNT_KEY}
    if (list_name := list_for_path(request.path)) is not None:
        wanted["tabs"] = tabs_key(user, list_name)
    many = cached.Many(wanted)
    role = functools.cache(lambda: shown_role_of(user, many))
    return {
        "open_alerts": lambda: open_alert_count(many),
        "user_role": role,
        "user_role_label": lambda: ROLE_LABELS.get(role()) if role() else None,
        "layout_cache": many,
        "current_time_zone": timezone.get_current_timezone_name(),
    }
