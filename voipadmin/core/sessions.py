"""Sessions to ASVS 4.0.3 V3.3.2 / V3.3.4: an absolute and an idle limit, and a person's own list of sessions.

A session ends ``SESSION_ABSOLUTE_HOURS`` after the login and after ``SESSION_IDLE_MINUTES`` without activity;
background requests (htmx polling and loads the person did not trigger, marked ``X-Background`` by
static/js/app.js) keep nothing alive. Each login is a ``UserSession`` row, so a person sees where they are logged
in and can end any session or all others. Every authenticated answer carries ``Cache-Control: no-store``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode

from voipadmin.core.models import UserSession

log = logging.getLogger(__name__)
AUTH_AT = "voipadmin_auth_at"
SEEN_AT = "voipadmin_seen_at"
# How stale "last seen" may be before it is written again: one write a minute, not one per request.
SEEN_EVERY = 60


def is_background(request: HttpRequest) -> bool:
    return request.headers.get("X-Background") == "1"


class SessionStore(CachedDBStore):
    """The engine with Redis (``SESSION_ENGINE``): Django's ``cached_db``, but a cache that cannot be reached costs
    a database read, never the page. Django's own swallows a failed cache read and a failed write on save, not
    the write after it read the row on a miss. Logging in and ending a session still fail while the cache is down
    (both delete a key there): a cached copy that outlived its row would be a session that was ended and works."""

    def load(self) -> dict[str, Any]:
        try:
            return super().load()
        except Exception:
            log.warning("the session cache could not be written; the session was read from the database")
            return DBStore.load(self)


@receiver(user_logged_in)
def _logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    now = time.time()
    request.session[AUTH_AT] = now
    request.session[SEEN_AT] = now
    if request.session.session_key is None:
        request.session.save()
    UserSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "ip_address": getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR"),
            "user_agent": request.headers.get("User-Agent", "")[:300],
        },
    )


@receiver(user_logged_out)
def _logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        UserSession.objects.filter(session_key=key).delete()


def session_end(*, user: Any, session_key: str) -> bool:
    """End one of the user's sessions (another browser is logged out at its next request)."""
    if not UserSession.objects.filter(user=user, session_key=session_key).delete()[0]:
        return False  # not one of theirs (or already ended): nothing else is touched
    _session_store(session_key).delete()
    return True


def sessions_end_others(*, user: Any, keep: str | None) -> int:
    keys = list(
        UserSession.objects.filter(user=user).exclude(session_key=keep).values_list("session_key", flat=True)
    )
    for key in keys:
        _session_store(key).delete()
    return UserSession.objects.filter(session_key__in=keys).delete()[0]


def _session_store(session_key: str) -> SessionBase:
    """The session as the configured engine keeps it: ending it deletes the cached copy too, where there is one."""
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)


class SessionLimitsMiddleware:
    """Log out a session past its absolute or idle limit; mark every authenticated answer no-store."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            expired = self._expired(request)
            if expired:
                return expired
        response = self.get_response(request)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response

    def _expired(self, request: HttpRequest) -> HttpResponse | None:
        session = request.session
        now = time.time()
        auth_at = session.get(AUTH_AT)
        seen_at = session.get(SEEN_AT, auth_at)
        if auth_at is None:  # a session from before these limits: start counting now
            session[AUTH_AT] = session[SEEN_AT] = now
            return None
        too_old = now - auth_at > settings.SESSION_ABSOLUTE_HOURS * 3600
        idle = now - seen_at > settings.SESSION_IDLE_MINUTES * 60
        if too_old or idle:
            logout(request)
            login = reverse("login") + "?" + urlencode({"next": request.get_full_path(), "expired": "1"})
            if getattr(request, "htmx", False):
                response = HttpResponse(status=401)
                response["HX-Redirect"] = login
                return response
            return redirect(login)
        if not is_background(request) and now - seen_at > SEEN_EVERY:
            session[SEEN_AT] = now
            UserSession.objects.filter(session_key=session.session_key).update(
                seen_at=dt.datetime.fromtimestamp(now, tz=dt.UTC)
            )
        return None
