"""One device's two sides: the cloud's auth user and state, WeChat's observation, and the mirror of both.

Shared by the runs (devices/reconciliation/settle.py) and the device page's re-check (recheck.py).
"""

from __future__ import annotations

import datetime as dt
import operator
import time
from dataclasses import dataclass
from functools import reduce

from django.conf import settings
from django.db.models import Q

from devices.models import Device, VoipAuthState
from voipadmin.core.clients import CloudClient, WeChatClient
from voipadmin.core.clients.errors import CloudError, WeChatRateLimited
from voipadmin.core.clients.models import AuthObservation, VoipAuthUser
from voipadmin.core.models import AuditEvent
from voipadmin.core.ratelimit import acquire as rate_limit

WECHAT_RATE_KEY = "wechat:observe"
RATE_LIMIT_RETRIES = 6
AUDIT_FIX = "reconcile_fix"
AUDIT_RECHECK = "voip_auth_recheck"


def cloud_changed_at(device_id: str, auth: VoipAuthUser) -> dt.datetime | None:
    """The cloud's last change: ``authUpdateTime``, or where the cloud lacks it our last audited write."""
    if auth.auth_update_time is not None:
        return auth.auth_update_time
    return (
        AuditEvent.objects.filter(
            device_id=device_id,
            action__in=[AUDIT_FIX, AUDIT_RECHECK],
            result=AuditEvent.Result.OK,
            message="fix.applied",
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


# -- one device's two sides ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CloudSide:
    auth: VoipAuthUser | None
    open_id: str | None = None
    error: str = ""  # a reason code when a read failed
    detail: str = ""


def read_cloud_side(client: CloudClient, device: Device) -> CloudSide:
    """The cloud's auth user and state, and that user's openId in the device's mini program."""
    try:
        auth = client.get_voip_auth_user(device.device_id)
    except CloudError as exc:
        return CloudSide(None, error="cloud_read", detail=str(exc))
    if auth is None or not auth.user_id:
        return CloudSide(None)
    try:
        info = client.get_device_wx_user_info(device.wechat_app_id, auth.user_id, device_id=device.device_id)
    except CloudError as exc:
        return CloudSide(auth, error="openid", detail=str(exc))
    return CloudSide(auth, info.open_id)


def observe_with_backoff(
    client: WeChatClient, model_id: str, pairs: list[tuple[str, list[str]]]
) -> dict[tuple[str, str], AuthObservation]:
    """One observation call, waiting and retrying on 45011 (calls too frequent); keyed by (sn, openid).

    Every call first takes a slot of the calls-per-second limit shared by all workers (``WECHAT_QPS``)."""
    for attempt in range(RATE_LIMIT_RETRIES):
        rate_limit(WECHAT_RATE_KEY, settings.WECHAT_QPS)
        try:
            seen = client.observe_authorization(model_id, pairs)
            return {(o.sn, o.openid): o for o in seen}
        except WeChatRateLimited:
            if attempt == RATE_LIMIT_RETRIES - 1:
                raise
            # The sandbox counts per second and WeChat per minute; start short, back off to whole seconds.
            time.sleep(min(0.25 * 2**attempt, 8.0))
    raise AssertionError("unreachable")


def mirror_observation(
    device_id: str, cloud: VoipAuthUser, observation: AuthObservation, run_id: int | None
) -> None:
    mirror_observations([(device_id, cloud, observation)], run_id)


def mirror_observations(seen: list[tuple[str, VoipAuthUser, AuthObservation]], run_id: int | None) -> None:
    """Store WeChat's side, and the cloud's side as just read where it is still the mirrored auth user.

    Devices share a few distinct values, so one update per distinct value rather than per device."""
    wechat: dict[tuple[bool, dt.datetime], list[str]] = {}
    cloud: dict[tuple[bool, dt.datetime | None], list[Q]] = {}
    for device_id, auth, observation in seen:
        wechat.setdefault((observation.authorized, observation.observed_at), []).append(device_id)
        cloud.setdefault((auth.is_auth, auth.auth_update_time), []).append(
            Q(device_id=device_id, user_id=auth.user_id)
        )
    for (authorized, observed_at), device_ids in wechat.items():
        VoipAuthState.objects.filter(device_id__in=device_ids).update(
            wechat_authorized=authorized, wechat_observed_at=observed_at, wechat_observed_run_id=run_id
        )
    for (is_auth, changed_at), pairs in cloud.items():
        VoipAuthState.objects.filter(reduce(operator.or_, pairs)).update(
            is_auth=is_auth, cloud_auth_updated_at=changed_at
        )
