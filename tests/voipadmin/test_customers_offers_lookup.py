"""Issue 15 through the sandbox over HTTP: every user and their homes, the member picker, each device's own
offers in shared price sets, the refresh that reads everything, and the search that asks the cloud."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from devices.models import CloudUser, Device, Home, HomeMember, VoipAuthState
from devices.services.sync import devices_sync
from mall.models import DeviceCommodity, Order, PriceSet, Subscription
from mall.services.sync import mall_sync
from tests.fixtures.sandbox import Sandbox
from voipadmin.console import lookup
from voipadmin.core.models import AuditEvent, SyncRun

# The syncs fetch on threads that share the token through the database cache: no enclosing test transaction.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def synced(sandbox_settings: Sandbox) -> Sandbox:
    cache.clear()
    assert devices_sync().state == SyncRun.State.SUCCEEDED
    return sandbox_settings


def test_every_user_is_mirrored_with_their_homes_buyers_included(
    synced: Sandbox, viewer_client: Client
) -> None:
    stats = synced.stats()
    assert CloudUser.objects.count() == stats["users"]
    assert HomeMember.objects.count() >= stats["users"]
    lonely = CloudUser.objects.exclude(voip_devices__isnull=False).first()
    assert lonely is not None, "the seed has users who are no device's auth user"
    home_id = HomeMember.objects.filter(user=lonely).values_list("home_id", flat=True).first()
    html = viewer_client.get(f"/users/{lonely.user_id}/").content.decode()
    assert lonely.user_id in html and home_id in html
    # A second pass re-reads only what changed since the watermark (with its overlap) and writes nothing.
    run = devices_sync()
    assert run.counts.get("members_created") == 0 and run.counts.get("clouduser_updated", 0) == 0


def test_orders_and_subscriptions_link_to_their_user(synced: Sandbox, viewer_client: Client) -> None:
    assert mall_sync().state in (SyncRun.State.SUCCEEDED, SyncRun.State.PARTIAL)
    order = Order.objects.exclude(user=None).first()
    assert CloudUser.objects.filter(pk=order.user_id).exists()
    html = viewer_client.get(f"/mall/orders/{order.order_id}/").content.decode()
    assert f'href="/users/{order.user_id}/"' in html
    assert Subscription.objects.exclude(user=None).exists()
    page = viewer_client.get(f"/users/{order.user_id}/").content.decode()
    assert order.order_id in page


def test_the_picker_offers_the_homes_members_and_refuses_anyone_else(
    synced: Sandbox, support_client: Client
) -> None:
    auth = VoipAuthState.objects.select_related("device").first()
    device = auth.device
    members = set(HomeMember.objects.filter(home_id=device.home_id).values_list("user_id", flat=True))
    html = support_client.get(f"/devices/{device.device_id}/").content.decode()
    assert '<select id="auth-user-id" name="user_id"' in html
    assert all(f'<option value="{m}"' in html for m in members)
    stranger = CloudUser.objects.exclude(pk__in=members).first()
    writes = synced.stats()["writes"]
    response = support_client.post(
        f"/devices/{device.device_id}/voip-auth-user/", {"user_id": stranger.user_id}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 409
    event = AuditEvent.objects.latest("created_at")
    assert (event.result, event.params["reason"]) == (AuditEvent.Result.NOT_SENT, "not_a_member")
    assert synced.stats()["writes"] == writes
    assert VoipAuthState.objects.get(pk=device.pk).user_id == auth.user_id


def test_offers_differ_per_device_and_price_sets_are_shared(synced: Sandbox, viewer_client: Client) -> None:
    mall_sync()
    offers = DeviceCommodity.objects.exclude(price_set=None)
    devices_with_offers = offers.values("device").distinct().count()
    assert 0 < PriceSet.objects.count() < devices_with_offers
    assert offers.count() > 2 * PriceSet.objects.count()
    per_commodity = PriceSet.objects.values("commodity").distinct().count()
    assert PriceSet.objects.count() > per_commodity  # some commodity is offered differently to some devices
    trial = offers.filter(price_set__has_trial=True).first()
    plain = offers.filter(commodity=trial.commodity, price_set__has_trial=False).first()
    assert plain is not None
    html = viewer_client.get(f"/mall/devices/{trial.device_id}/panel/").content.decode()
    other = viewer_client.get(f"/mall/devices/{plain.device_id}/panel/").content.decode()
    assert html.count("<td>—</td>") != other.count("<td>—</td>")  # the trial column differs
    assert viewer_client.get("/mall/commodities/").status_code == 200
    assert viewer_client.get(f"/mall/commodities/{trial.commodity_id}/").status_code == 200


def test_refresh_reads_everything_and_moves_last_synced(synced: Sandbox, support_client: Client) -> None:
    mall_sync()
    device = Device.objects.filter(voip_capable=True).first()
    before = device.synced_at
    synced.control("POST", "rename-device", {"deviceId": device.device_id, "name": "Renamed in the app"})
    DeviceCommodity.objects.filter(device=device).delete()
    response = support_client.post(f"/devices/{device.device_id}/refresh/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    device.refresh_from_db()
    assert device.name == "Renamed in the app" and device.synced_at > before
    assert DeviceCommodity.objects.filter(device=device).exclude(price_set=None).exists()


def test_search_finds_a_device_the_cloud_just_activated(synced: Sandbox, viewer_client: Client) -> None:
    home = Home.objects.first()
    added = synced.control("POST", "add-device", {"ownerId": home.owner_id, "name": "Brand new"})
    response = viewer_client.get("/search/", {"q": added["deviceId"], "go": "1"})
    assert response.status_code == 302 and response["Location"] == f"/devices/{added['deviceId']}/"
    device = Device.objects.get(pk=added["deviceId"])
    assert device.name == "Brand new" and device.details_synced_at is not None


def test_search_finds_a_home_the_mirror_lacks(sandbox_settings: Sandbox, viewer_client: Client) -> None:
    cache.clear()
    owner_id = sandbox_settings.result("ext/listHomes", {"pageNo": 1, "pageSize": 1})["data"][0]["ownerId"]
    response = viewer_client.get("/search/", {"q": owner_id, "go": "1"})
    assert response.status_code == 302 and response["Location"] == f"/homes/{owner_id}/"
    assert Device.objects.filter(home_id=owner_id).exists()


def test_an_id_the_cloud_does_not_know_says_so_and_the_lookup_is_throttled(
    synced: Sandbox, viewer_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lookup, "_minute", lambda: 30_000_000)  # one minute's window throughout
    response = viewer_client.get("/search/", {"q": "6cdeadbeef0000new", "go": "1"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert 'id="lookup-answer"' in response.content.decode()
    # Typing (no explicit search) never asks the cloud.
    assert (
        'id="lookup-answer"' not in viewer_client.get("/search/", {"q": "6cdeadbeef0001new"}).content.decode()
    )
    for n in range(lookup.PER_MINUTE - 1):
        assert viewer_client.get("/search/", {"q": f"6cdeadbeef{n:04d}x", "go": "1"}).status_code == 200
    assert viewer_client.get("/search/", {"q": "6cdeadbeef9999x", "go": "1"}).status_code == 429
    assert not Device.objects.filter(pk__startswith="6cdeadbeef").exists()
