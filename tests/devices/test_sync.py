"""The devices sync against the sandbox over HTTP: counts, idempotence, and faults."""

from __future__ import annotations

import pytest

from devices.models import CloudUser, Device, DeviceService, Home, VoipAuthState, WeChatIdentity
from devices.services.refresh import device_refresh
from devices.services.sync import devices_sync
from voipadmin.core.models import SyncRun

# The sync fetches on threads that share the token through the database cache: no enclosing test transaction.
pytestmark = pytest.mark.django_db(transaction=True)


def test_first_pass_mirrors_every_home_device_and_auth_user(sandbox_settings, sandbox_clean) -> None:
    run = devices_sync()
    assert run.state == SyncRun.State.SUCCEEDED, run.errors
    assert run.full
    stats = sandbox_clean.stats()
    assert Home.objects.count() == stats["homes"]
    assert Device.objects.count() == stats["devices"]
    assert Device.objects.filter(voip_capable=True).count() == stats["voip_devices"]
    voip = Device.objects.filter(voip_capable=True)
    assert VoipAuthState.objects.filter(device__in=voip).count() == stats["voip_devices"]
    assert not Device.objects.filter(details_synced_at=None).exists()
    assert DeviceService.objects.exists() and CloudUser.objects.exists()
    # Every VoIP device's auth user has its openId for the device's mini program.
    for auth in VoipAuthState.objects.select_related("device"):
        assert auth.open_id
        assert WeChatIdentity.objects.filter(
            user_id=auth.user_id, app_id=auth.device.wechat_app_id, open_id=auth.open_id
        ).exists()


def test_a_second_pass_with_no_change_writes_nothing(sandbox_settings, sandbox_clean) -> None:
    devices_sync()
    before = {d.pk: d.synced_at for d in Device.objects.all()}
    services_before = set(DeviceService.objects.values_list("pk", "synced_at"))
    run = devices_sync()
    assert run.state == SyncRun.State.SUCCEEDED
    assert not run.full
    written = {
        k: v for k, v in run.counts.items() if k.endswith(("_created", "_updated", "_deleted", "_written"))
    }
    assert all(v == 0 for v in written.values()), written
    assert {d.pk: d.synced_at for d in Device.objects.all()} == before
    assert set(DeviceService.objects.values_list("pk", "synced_at")) == services_before


def test_a_change_in_the_cloud_is_picked_up_incrementally(sandbox_settings, sandbox_clean) -> None:
    devices_sync()
    auth = VoipAuthState.objects.select_related("device").filter(is_auth=True).first()
    other = CloudUser.objects.exclude(pk=auth.user_id).first()
    sandbox_clean.result("saveVoipAuthUser", {"device_id": auth.device_id, "user_id": other.user_id})
    device = device_refresh(device_id=auth.device_id)
    state = VoipAuthState.objects.get(device=device)
    assert state.user_id == other.user_id
    assert state.is_auth is False


def test_the_kept_device_counts_follow_a_device_that_moves_or_arrives(
    sandbox_settings, sandbox_clean
) -> None:
    """An incremental pass recounts exactly the homes a device left or joined, and they are right."""
    devices_sync()
    left, joined = [h for h in Home.objects.order_by("pk") if h.devices.count() >= 2][:2]
    counts = {h.pk: h.device_count for h in Home.objects.all()}
    assert counts == {h.pk: h.devices.count() for h in Home.objects.all()}
    mover = left.devices.order_by("pk").first()
    sandbox_clean.control("POST", "move-device", json={"deviceId": mover.pk, "ownerId": joined.pk})
    sandbox_clean.control("POST", "add-device", json={"ownerId": joined.pk})
    run = devices_sync()
    assert run.state == SyncRun.State.SUCCEEDED and not run.full
    after = {h.pk: h.device_count for h in Home.objects.all()}
    assert after == {h.pk: h.devices.count() for h in Home.objects.all()}
    assert after[left.pk] == counts[left.pk] - 1 and after[joined.pk] == counts[joined.pk] + 2
    assert {pk for pk in after if after[pk] != counts[pk]} == {left.pk, joined.pk}


def test_under_error_rate_the_sync_still_ends_with_every_row_and_records_retries(
    sandbox_settings, sandbox_clean
) -> None:
    sandbox_clean.faults(error_rate=0.3)
    run = devices_sync()
    sandbox_clean.faults()
    stats = sandbox_clean.stats()
    assert run.counts["cloud_retries"] > 0
    assert Device.objects.count() == stats["devices"]
    assert Home.objects.count() == stats["homes"]
    if run.state == SyncRun.State.PARTIAL:
        # What failed after its retries is named, and a pass without faults completes the mirror.
        assert run.errors
        assert devices_sync(full=True).state == SyncRun.State.SUCCEEDED
    assert not Device.objects.filter(details_synced_at=None).exists()
    assert VoipAuthState.objects.count() == stats["voip_devices"]


def test_a_failed_pass_keeps_what_is_stored(sandbox_settings, sandbox_clean) -> None:
    devices_sync()
    count = Device.objects.count()
    sandbox_clean.faults(error_rate=1.0)
    run = devices_sync(full=True)
    sandbox_clean.faults()
    assert run.state in (SyncRun.State.FAILED, SyncRun.State.PARTIAL)
    assert run.errors
    assert Device.objects.count() == count
