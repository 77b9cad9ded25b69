"""Failed logins, throttled to ASVS 4.0.3 V2.2.1 on top of django-axes.

Three limits, each with its own window, so that guessing is slow but the owner is never locked out for good:

- a (user name, address) pair: ``AXES_FAILURE_LIMIT`` (5) failures lock it for ``AXES_COOLOFF_TIME``;
- an address: ``LOGIN_ADDRESS_FAILURE_LIMIT`` (30) failures across user names within the cool-off lock it;
- a user name: at most ``LOGIN_USERNAME_FAILURES_PER_HOUR`` (100) failures an hour from all addresses; past that
  it is refused until the oldest of those failures is an hour old.

Failures are read from axes' failure log (one row per failed attempt). The address is the socket's, or the one
a configured number of trusted proxies put in X-Forwarded-For (``TRUSTED_PROXY_COUNT``), never a header a
client can set by itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_ip_address, get_client_username, get_cool_off
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

HOUR = dt.timedelta(hours=1)


def _address(request: HttpRequest) -> str | None:
    return getattr(request, "axes_ip_address", None) or get_client_ip_address(request)


def lock_ends(request: HttpRequest, credentials: dict[str, Any] | None = None) -> dt.datetime | None:
    """When the lock on this login attempt ends, or None when it may go ahead."""
    now = timezone.now()
    cool_off = get_cool_off(request) or dt.timedelta(minutes=15)
    address = _address(request)
    username = get_client_username(request, credentials)
    ends: list[dt.datetime] = []
    if username and address:
        pair = AccessAttempt.objects.filter(username=username, ip_address=address).first()
        if pair is not None and pair.failures_since_start >= settings.AXES_FAILURE_LIMIT:
            ends.append(pair.attempt_time + cool_off)
    if address:
        recent = AccessFailureLog.objects.filter(ip_address=address, attempt_time__gte=now - cool_off)
        times = list(
            recent.order_by("-attempt_time").values_list("attempt_time", flat=True)[: _address_limit()]
        )
        if len(times) >= _address_limit():
            ends.append(times[-1] + cool_off)  # when the oldest of the last N leaves the window
    if username:
        limit = settings.LOGIN_USERNAME_FAILURES_PER_HOUR
        recent = AccessFailureLog.objects.filter(username=username, attempt_time__gte=now - HOUR)
        times = list(recent.order_by("-attempt_time").values_list("attempt_time", flat=True)[:limit])
        if len(times) >= limit:
            ends.append(times[-1] + HOUR)
    future = [end for end in ends if end > now]
    return max(future) if future else None


def _address_limit() -> int:
    return settings.LOGIN_ADDRESS_FAILURE_LIMIT


class LoginThrottleHandler(AxesDatabaseHandler):
    """axes' database handler, locking by the three limits above instead of one."""

    def is_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        return lock_ends(request, credentials) is not None


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """The page a locked attempt gets: when the lock ends, in the reader's zone; 429."""
    context = {"ends": lock_ends(request, credentials)}
    return render(request, "registration/lockout.html", context, status=429)
