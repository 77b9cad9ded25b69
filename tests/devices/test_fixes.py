"""The safe fixes over HTTP against the sandbox: permissions, cloud first, audit, and each failure's message."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from devices.models import CloudUser, Device, DeviceService, HomeMember, VoipAuthState
from devices.services.sync import devices_sync
from voipadmin.core.models import AuditEvent

# The fixes fetch details on the sync's threads through the database cache: no enclosing test transaction.
pytestmark = pytest.mark.django_db(transaction=True)
CONFIRMED = {"confirmed": "yes"}


@pytest.fixture
def synced(sandbox_settings) -> None:
    devices_sync()


def _voip_device() -> tuple[Device, CloudUser]:
    """A VoIP device and another member of its home (only members may become its auth user)."""
    for auth in VoipAuthState.objects.select_related("device").order_by("device_id"):
        other = (
            CloudUser.objects.filter(memberships__home_id=auth.device.home_id)
            .exclude(pk=auth.user_id)
            .order_by("user_id")
            .first()
        )
        if other is not None:
            return auth.device, other
    raise AssertionError("no VoIP device whose home has a second member")


def _code(sandbox, state: str) -> dict:
    return next(c for c in sandbox.control("GET", "exchange-codes") if c["state"] == state)


def test_support_sets_the_auth_user_cloud_first_then_mirror_and_audit(
    synced, sandbox_clean, support_client: Client
) -> None:
    device, user = _voip_device()
    url = f"/devices/{device.device_id}/voip-auth-user/"
    response = support_client.post(url, {"user_id": user.user_id, **CONFIRMED}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert sandbox_clean.result("getVoipAuthUser", {"device_id": device.device_id})["userId"] == user.user_id
    assert VoipAuthState.objects.get(device=device).user_id == user.user_id
    event = AuditEvent.objects.get()
    assert (event.action, event.result, event.target, event.actor_name) == (
        "voip_auth_user_set",
        "ok",
        user.user_id,
        "support-user",
    )
    assert event.after["user_id"] == user.user_id and event.before["user_id"] != user.user_id


@pytest.mark.parametrize("fix", ["voip-auth-user", "exchange-code"])
def test_a_viewer_gets_403_and_nothing_changes(
    synced, sandbox_clean, viewer_client: Client, fix: str
) -> None:
    device, user = _voip_device()
    response = viewer_client.post(
        f"/devices/{device.device_id}/{fix}/", {"user_id": user.user_id, "code": "X"}
    )
    assert response.status_code == 403
    assert not AuditEvent.objects.exists()
    assert sandbox_clean.stats()["save_wx_voip_auth_total"] == 0


def test_a_refused_call_writes_only_a_failed_audit_event(synced, sandbox_clean, ops_client: Client) -> None:
    device, _ = _voip_device()
    before = VoipAuthState.objects.get(device=device).user_id
    # A member in the mirror whom the cloud no longer knows: the check passes, the cloud refuses.
    ghost = CloudUser.objects.create(user_id="no-such-user", synced_at=timezone.now())
    HomeMember.objects.create(user=ghost, home_id=device.home_id, synced_at=timezone.now())
    response = ops_client.post(
        f"/devices/{device.device_id}/voip-auth-user/",
        {"user_id": "no-such-user", **CONFIRMED},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    assert VoipAuthState.objects.get(device=device).user_id == before
    event = AuditEvent.objects.get()
    assert event.result == "failed" and event.cloud_code == 1109
    page = ops_client.get(f"/devices/{device.device_id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The cloud refused to set the VoIP auth user" in page


def test_a_timeout_is_audited_unknown_and_queues_a_refresh(
    synced, sandbox_clean, support_client: Client, settings, celery_worker
) -> None:
    settings.CLOUD_TIMEOUT = 0.5
    device, user = _voip_device()
    sandbox_clean.faults(timeout_rate=1.0, timeout_ms=1500)
    response = support_client.post(
        f"/devices/{device.device_id}/voip-auth-user/",
        {"user_id": user.user_id, **CONFIRMED},
        HTTP_HX_REQUEST="true",
    )
    sandbox_clean.faults()
    assert response.status_code == 202
    event = AuditEvent.objects.get()
    assert event.result == "unknown"
    # The queued refresh (run by the real worker) brings the mirror to what the cloud really holds.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if VoipAuthState.objects.get(device=device).user_id == user.user_id:
            break
        time.sleep(0.3)
    assert VoipAuthState.objects.get(device=device).user_id == user.user_id


def test_redeeming_a_valid_code_extends_the_service(synced, sandbox_clean, support_client: Client) -> None:
    code = _code(sandbox_clean, "valid")
    device = next(d for d in Device.objects.order_by("device_id") if _redeemable(d, code))
    response = support_client.post(
        f"/devices/{device.device_id}/exchange-code/",
        {"code": code["code"], "catalog_code": code["catalogCode"], **CONFIRMED},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200, response.content[:500]
    assert DeviceService.objects.filter(device=device, code=code["serviceCode"]).exists()
    event = AuditEvent.objects.get()
    assert event.result == "ok" and code["code"] not in str(event.after) + str(event.params)
    service = DeviceService.objects.get(device=device, code=code["serviceCode"])
    body = response.content.decode()
    assert f"Code redeemed on {device.name}: {service.name}" in body, body[body.find("Code redeemed") :][:200]


def _redeemable(device: Device, code: dict) -> bool:
    wanted = {"CLOUD_STORAGE": 0, "VOIP": 1, "AI": 2}[code["catalogCode"]]
    return wanted in device.vas_types


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ("used", "this exchange code has already been used (cloud code 28841301)"),
        ("expired", "this exchange code has expired (cloud code 28841302)"),
        (None, "this exchange code is not valid for this device (cloud code 28841303)"),
    ],
)
def test_each_refused_code_gets_its_own_plain_message(
    synced, sandbox_clean, support_client: Client, state: str | None, message: str
) -> None:
    code = (
        _code(sandbox_clean, state) if state else {"code": "NOPE-0000-0000", "catalogCode": "CLOUD_STORAGE"}
    )
    device = Device.objects.order_by("device_id").first()
    response = support_client.post(
        f"/devices/{device.device_id}/exchange-code/",
        {"code": code["code"], "catalog_code": code["catalogCode"], **CONFIRMED},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 502
    assert message in response.content.decode()
    assert AuditEvent.objects.get().result == "failed"


@pytest.mark.parametrize("data", [{"user_id": ""}, {"user_id": "<script>"}, {"user_id": "x" * 500}])
def test_bad_fix_input_is_a_400(synced, support_client: Client, data: dict) -> None:
    device, _ = _voip_device()
    response = support_client.post(
        f"/devices/{device.device_id}/voip-auth-user/", data, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert b"<script>" not in response.content
    assert not AuditEvent.objects.exists()


def test_refresh_shows_a_clear_error_when_the_cloud_fails(
    synced, sandbox_clean, support_client: Client
) -> None:
    device, _ = _voip_device()
    sandbox_clean.faults(error_rate=1.0)
    response = support_client.post(
        f"/devices/{device.device_id}/refresh/", HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en"
    )
    sandbox_clean.faults()
    assert response.status_code == 502
    assert f"The cloud did not answer the refresh of {device.name}" in response.content.decode()
    assert Device.objects.filter(pk=device.pk).exists()
    cache.clear()  # the 10-second throttle, which the next test shows
    ok = support_client.post(f"/devices/{device.device_id}/refresh/", HTTP_HX_REQUEST="true")
    assert ok.status_code == 200
    assert list(AuditEvent.objects.order_by("id").values_list("action", "result")) == [
        ("device_refresh", "failed"),
        ("device_refresh", "ok"),
    ]


def test_refresh_is_for_support_at_most_every_ten_seconds(
    synced, sandbox_clean, support_client: Client, viewer_client: Client
) -> None:
    device, _ = _voip_device()
    url = f"/devices/{device.device_id}/refresh/"
    assert viewer_client.post(url).status_code == 403
    assert b"Refresh from cloud" not in viewer_client.get(f"/devices/{device.device_id}/").content
    calls = sandbox_clean.stats()
    assert support_client.post(url, HTTP_HX_REQUEST="true").status_code == 200
    again = support_client.post(url, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 429
    assert "refreshed less than 10 seconds ago" in again.content.decode()
    assert AuditEvent.objects.filter(action="device_refresh").count() == 1
    assert sandbox_clean.stats()["devices"] == calls["devices"]
