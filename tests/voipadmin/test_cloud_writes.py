"""Every cloud write tells the truth: each write x each answer the sandbox can give, over real HTTP.

For each write — saveVoipAuthUser, exchangeCode, buyIncreaseServiceByWx, saveWXVoipAuth from a run and from a
re-check — and each answer — applied; refused with a code; ``false``; 5xx before anything was applied; applied
then 5xx; applied then garbage; applied then a reset; a timeout after which the sandbox applies — the audit row's
outcome, the page's message and the sandbox's own count of that write agree, and nothing is written twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from devices.models import CloudUser, Device, ReconciliationRun, VoipAuthState
from devices.reconciliation.runs import LOCK_KEY, reconciliation_run
from devices.services.sync import devices_sync
from mall.models import CommodityPrice, DeviceMall
from mall.services.sync import mall_sync
from tests.fixtures.sandbox import Sandbox
from voipadmin.core import locks
from voipadmin.core.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)

CONFIRMED = {"confirmed": "yes"}


@dataclass(frozen=True)
class Answer:
    faults: dict[str, Any]
    result: str  # the audit row's result
    applied: int  # how many times the sandbox applies the write
    page: str  # what the page says (English)


ANSWERS = {
    "applied": Answer({}, "ok", 1, ""),
    "refused": Answer({"refuse_code": 1109}, "failed", 0, "The cloud refused to"),
    "false": Answer({"answer_false": 1}, "failed", 0, "it answered false (no change made)"),
    "5xx, not applied": Answer({"error_rate": 1}, "unknown", 0, "Not known yet whether the cloud did"),
    "applied, then 5xx": Answer({"after_write": "5xx"}, "unknown", 1, "the cloud answered HTTP 500"),
    "applied, then garbage": Answer(
        {"malformed_rate": 1, "seed": 1}, "unknown", 1, "the answer could not be read"
    ),
    "applied, then reset": Answer({"after_write": "reset"}, "unknown", 1, "the connection was lost"),
    "timeout, then applied": Answer(
        {"timeout_rate": 1, "timeout_ms": 1200}, "unknown", 1, "no answer within 0.5 s"
    ),
}
# Boolean answers exist for these calls only; a purchase answers an order.
HAS_FALSE = {"saveVoipAuthUser", "exchangeCode", "saveWXVoipAuth"}


@pytest.fixture
def world(sandbox_settings: Sandbox, settings) -> Sandbox:
    settings.CLOUD_TIMEOUT = 0.5
    settings.SANDBOX_BACKED = True
    cache.clear()
    devices_sync()
    return sandbox_settings


def _voip_device() -> Device:
    """A VoIP device whose home has another member (only members may become its auth user)."""
    auth = VoipAuthState.objects.exclude(user=None).exclude(open_id="").select_related("device")
    return next(a.device for a in auth.order_by("device_id") if _other_member(a.device, a.user_id))


def _other_member(device: Device, current: str | None) -> str | None:
    members = CloudUser.objects.filter(memberships__home_id=device.home_id).exclude(pk=current)
    return members.order_by("user_id").values_list("user_id", flat=True).first()


def _wait_for_writes(box: Sandbox, call: str, expected: int) -> int:
    """The sandbox's count of ``call``; waits out a timeout fault, after which the sandbox still applies."""
    deadline = time.monotonic() + 5
    count = box.stats()["writes"][call]
    while count < expected and time.monotonic() < deadline:
        time.sleep(0.1)
        count = box.stats()["writes"][call]
    return count


# -- the four kinds of write: each returns (call name, audit action, the response's text) ----------------------
def _set_auth_user(box: Sandbox, client: Client, faults: dict) -> str:
    device = _voip_device()
    current = VoipAuthState.objects.get(device=device).user_id
    user_id = _other_member(device, current)
    box.faults(**faults, calls=["saveVoipAuthUser"]) if faults else None
    response = client.post(
        f"/devices/{device.device_id}/voip-auth-user/",
        {"user_id": user_id, **CONFIRMED},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    box.faults()
    return response.content.decode()


def _redeem(box: Sandbox, client: Client, faults: dict) -> str:
    code = next(c for c in box.control("GET", "exchange-codes") if c["state"] == "valid")
    wanted = {"CLOUD_STORAGE": 0, "VOIP": 1, "AI": 2}[code["catalogCode"]]
    device = next(d for d in Device.objects.order_by("device_id") if wanted in d.vas_types)
    box.faults(**faults, calls=["exchangeCode"]) if faults else None
    response = client.post(
        f"/devices/{device.device_id}/exchange-code/",
        {"code": code["code"], "catalog_code": code["catalogCode"], **CONFIRMED},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    box.faults()
    return response.content.decode()


def _purchase_target(commodity_type: int | None = None) -> tuple[Device, CommodityPrice]:
    for auth in VoipAuthState.objects.exclude(open_id="").select_related("device").order_by("device_id"):
        device = auth.device
        prices = CommodityPrice.objects.filter(commodity__offers__device=device).select_related("commodity")
        if commodity_type is not None:
            prices = prices.filter(commodity__commodity_type=commodity_type)
        catalogs = set(DeviceMall.objects.filter(device=device).values_list("catalog_code", flat=True))
        for price in prices.order_by("commodity_id", "option_type", "option_no"):
            kind = {0: "CLOUD_STORAGE", 1: "VOIP", 2: "AI"}.get(price.commodity.commodity_type)
            if kind in catalogs and device.home_id and device.wechat_app_id:
                return device, price
    raise AssertionError("no device the sandbox can sell to")


def _purchase_form(device: Device, price: CommodityPrice, once: str = "once-token-0123456789") -> dict:
    return {
        "once": once,
        "commodity_code": price.commodity_id,
        "option_type": price.option_type,
        "option_no": price.option_no,
    }


def _purchase(box: Sandbox, client: Client, faults: dict) -> str:
    assert mall_sync(trigger="test").state == "succeeded"
    device, price = _purchase_target()
    box.faults(**faults, calls=["buyIncreaseServiceByWx"]) if faults else None
    response = client.post(
        reverse("mall:device-purchase", args=[device.device_id]),
        {**_purchase_form(device, price), **CONFIRMED},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    box.faults()
    return response.content.decode()


def _drifted_device(box: Sandbox) -> Device:
    flipped = box.control("POST", "wechat/flip", {"count": 1})["devices"]
    return Device.objects.get(pk=flipped[0])


def _run_fix(box: Sandbox, client: Client, faults: dict) -> str:
    device = _drifted_device(box)
    box.faults(**faults, calls=["saveWXVoipAuth"]) if faults else None
    run = reconciliation_run(trigger="test", device_id=device.device_id)
    box.faults()
    item = run.items.get(device_id=device.device_id)
    return f"{item.outcome} {item.reason} " + " ".join(
        str(e.params) for e in AuditEvent.objects.filter(action="reconcile_fix")
    )


def _recheck(box: Sandbox, client: Client, faults: dict) -> str:
    device = _drifted_device(box)
    box.faults(**faults, calls=["saveWXVoipAuth"]) if faults else None
    response = client.post(
        f"/devices/{device.device_id}/recheck/", CONFIRMED, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en"
    )
    box.faults()
    return response.content.decode()


WRITES: dict[str, tuple[str, str, Callable[[Sandbox, Client, dict], str]]] = {
    "set auth user": ("saveVoipAuthUser", "voip_auth_user_set", _set_auth_user),
    "redeem code": ("exchangeCode", "exchange_code_redeem", _redeem),
    "test purchase": ("buyIncreaseServiceByWx", "mall.test_purchase", _purchase),
    "run fix": ("saveWXVoipAuth", "reconcile_fix", _run_fix),
    "re-check": ("saveWXVoipAuth", "voip_auth_recheck", _recheck),
}
APPLIED_TEXT = {
    "set auth user": "The VoIP auth user of",
    "redeem code": "Code redeemed on",
    "test purchase": "Test order",
    "run fix": "fixed fixed",
    "re-check": "The cloud now holds WeChat",
}


@pytest.mark.parametrize("answer", list(ANSWERS))
@pytest.mark.parametrize("write", list(WRITES))
def test_each_write_records_what_the_cloud_did(
    world: Sandbox, ops_client: Client, write: str, answer: str
) -> None:
    call, action, do = WRITES[write]
    expected = ANSWERS[answer]
    if answer == "false" and call not in HAS_FALSE:
        pytest.skip(f"{call} answers an order, never a Boolean")
    before = world.stats()["writes"][call]
    text = do(world, ops_client, expected.faults)
    rows = AuditEvent.objects.filter(action=action).exclude(message__startswith="recheck.")
    assert [r.result for r in rows] == [expected.result], [(r.result, r.message, r.params) for r in rows]
    assert _wait_for_writes(world, call, before + expected.applied) == before + expected.applied
    time.sleep(0.2)  # nothing arrives later: a write is never sent twice
    assert world.stats()["writes"][call] == before + expected.applied
    wanted = expected.page or APPLIED_TEXT[write]
    if write == "run fix":
        outcome = {"ok": "fixed fixed", "failed": "failed cloud_refused", "unknown": "failed outcome_unknown"}
        assert text.startswith(outcome[expected.result]), text
    else:
        assert wanted in text, text[:3000]
        if expected.result == "unknown":
            assert "It is read again at" in text


def test_the_unknown_outcome_is_re_read_by_the_worker(
    world: Sandbox, support_client: Client, settings, celery_worker
) -> None:
    settings.CLOUD_REREAD_SECONDS = 0.5
    device = _voip_device()
    current = VoipAuthState.objects.get(device=device).user_id
    user_id = _other_member(device, current)
    world.faults(after_write="reset", calls=["saveVoipAuthUser"])
    support_client.post(
        f"/devices/{device.device_id}/voip-auth-user/",
        {"user_id": user_id, **CONFIRMED},
        HTTP_HX_REQUEST="true",
    )
    world.faults()
    assert AuditEvent.objects.get(action="voip_auth_user_set").result == "unknown"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and VoipAuthState.objects.get(device=device).user_id != user_id:
        time.sleep(0.3)
    assert VoipAuthState.objects.get(device=device).user_id == user_id  # the re-read found what the cloud did


def test_one_order_per_purchase_token(world: Sandbox, ops_client: Client) -> None:
    assert mall_sync(trigger="test").state == "succeeded"
    device, price = _purchase_target()
    url = reverse("mall:device-purchase", args=[device.device_id])
    form = {**_purchase_form(device, price), **CONFIRMED}
    before = world.stats()["writes"]["buyIncreaseServiceByWx"]
    first = ops_client.post(url, form, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    second = ops_client.post(url, form, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    assert first.status_code == second.status_code == 200
    assert world.stats()["writes"]["buyIncreaseServiceByWx"] == before + 1
    event = AuditEvent.objects.get(action="mall.test_purchase")
    assert event.params["order"] in second.content.decode()
    assert "no second order was made" in second.content.decode()
    fresh = {**form, "once": "another-token-0123456789"}
    assert ops_client.post(url, fresh, HTTP_HX_REQUEST="true").status_code == 200
    assert world.stats()["writes"]["buyIncreaseServiceByWx"] == before + 2


def test_a_cloud_storage_commodity_can_be_bought(world: Sandbox, ops_client: Client) -> None:
    assert mall_sync(trigger="test").state == "succeeded"
    device, price = _purchase_target(commodity_type=0)  # type 0 is cloud storage, not "no type"
    response = ops_client.post(
        reverse("mall:device-purchase", args=[device.device_id]),
        {**_purchase_form(device, price), **CONFIRMED},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert AuditEvent.objects.get(action="mall.test_purchase").result == "ok"


def test_nothing_is_written_before_the_confirm_step(world: Sandbox, support_client: Client) -> None:
    device = _voip_device()
    user = VoipAuthState.objects.get(device=device)
    before = world.stats()["writes"]
    for path, data in [
        ("voip-auth-user/", {"user_id": _other_member(device, None)}),
        ("exchange-code/", {"code": "ABCD-1234", "catalog_code": "VOIP"}),
        ("recheck/", {}),
    ]:
        url = f"/devices/{device.device_id}/{path}"
        for htmx in ({"HTTP_HX_REQUEST": "true"}, {}):
            page = support_client.post(url, data, HTTP_ACCEPT_LANGUAGE="en", **htmx)
            assert page.status_code == 200
            html = page.content.decode()
            assert "Confirm before writing to the cloud" in html and 'name="confirmed" value="yes"' in html
            assert ("<html" in html) == (not htmx)
    assert world.stats()["writes"] == before
    assert not AuditEvent.objects.exists()
    assert VoipAuthState.objects.get(device=device).user_id == user.user_id


def test_run_now_is_a_dry_run_unless_write_is_confirmed(world: Sandbox, ops_client: Client) -> None:
    url = reverse("devices:reconciliation-start")
    asked = ops_client.post(url, {"write": "on"}, HTTP_ACCEPT_LANGUAGE="en")
    voip = Device.objects.filter(voip_capable=True).exclude(wechat_model_id="").count()
    assert asked.status_code == 200 and f"may write to up to {voip} devices" in asked.content.decode()
    assert not ReconciliationRun.objects.exists()
    assert ops_client.post(url, {}).status_code == 302
    assert ReconciliationRun.objects.get().dry_run is True
    ReconciliationRun.objects.update(state=ReconciliationRun.State.SUCCEEDED)
    locks.release(LOCK_KEY, ReconciliationRun.objects.get().lock_token)  # as the run's end does
    assert ops_client.post(url, {"write": "on", **CONFIRMED}).status_code == 302
    assert ReconciliationRun.objects.filter(dry_run=False).count() == 1


def test_loading_the_authorization_link_is_audited_without_the_ticket(
    world: Sandbox, support_client: Client
) -> None:
    device = _voip_device()
    response = support_client.get(f"/devices/{device.device_id}/voip-authorization/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="voip_authorization_load")
    assert event.result == "ok" and event.device_id == device.device_id
    ticket = response.content.decode().split('snTicket</dt><dd><code class="wrap">')[1].split("<")[0]
    assert ticket and ticket not in str(event.params) + str(event.after) + str(event.before)


def test_a_write_waits_for_no_one_while_the_device_is_busy(world: Sandbox, support_client: Client) -> None:
    """Every write on a device holds its lock: another write meanwhile is not sent, and says why."""
    from voipadmin.core.cloudwrite import device_write_lock

    device = _voip_device()
    before = world.stats()["writes"]
    with device_write_lock(device.device_id):  # as a reconciliation push holds it
        response = support_client.post(
            f"/devices/{device.device_id}/voip-auth-user/",
            {"user_id": _other_member(device, None), **CONFIRMED},
            HTTP_HX_REQUEST="true",
            HTTP_ACCEPT_LANGUAGE="en",
        )
        recheck = support_client.post(
            f"/devices/{device.device_id}/recheck/",
            CONFIRMED,
            HTTP_HX_REQUEST="true",
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 409 and recheck.status_code == 409
    assert "another write on this device is under way" in response.content.decode()
    assert list(AuditEvent.objects.values_list("result", flat=True)) == ["not_sent", "not_sent"]
    assert world.stats()["writes"] == before
