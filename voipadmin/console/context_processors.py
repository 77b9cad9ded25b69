from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from voipadmin.core.roles import ROLE_LABELS, role_of


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The layout's per-user values; the role and the open alerts are read only if the layout draws them."""
    user = getattr(request, "user", None)
    authenticated = bool(getattr(user, "is_authenticated", False))
    # Read only when the user menu is drawn (templates call a callable): a list's htmx fragment has no menu.
    role = functools.cache(lambda: role_of(user) if user is not None else None)
    return {
        # Counted only when the bell is drawn: one indexed COUNT per page.
        "open_alerts": _open_alerts if authenticated else 0,
        "user_role": role,
        "user_role_label": lambda: ROLE_LABELS.get(role()) if role() else None,
        "user_time_zones": settings.USER_TIME_ZONES,
        "current_time_zone": timezone.get_current_timezone_name(),
    }


def _open_alerts() -> int:
    from voipadmin.core.alerts import open_alert_count

    return open_alert_count()
