"""CloudClient under the sandbox's faults: typed errors, bounded retries (reads only), tokens, masking."""

from __future__ import annotations

import logging
import socket
import time
from typing import Any

import pytest
from django.core.cache import cache

from tests.clients.conftest import CloudRig, VoipDevice, counted_session, find_voip_device
from voipadmin.core.clients import CloudClient
from voipadmin.core.clients._http import TokenRecord
from voipadmin.core.clients.errors import (
    CloudAuthError,
    CloudBadResponse,
    CloudError,
    CloudRateLimited,
    CloudTimeout,
    CloudUnavailable,
)

SDK = "/v1.0/vas/voip/"


def warm(rig: CloudRig) -> str:
    """One call so the token is in the cache before faults are switched on; returns a home id."""
    return next(iter(rig.client.list_homes(page_size=1))).owner_id


def test_server_errors_are_retried_up_to_the_limit_for_reads_only(
    cloud: CloudRig, voip_device: VoipDevice
) -> None:
    home = warm(cloud)
    cloud.box.faults(error_rate=1)
    with pytest.raises(CloudUnavailable) as caught:
        cloud.client.get_device_list(home)
    assert caught.value.code in (500, 1111) and caught.value.http_status in (500, 503)
    assert cloud.wire.sent[SDK + "getDeviceList"] == 3 and cloud.client.stats()["cloud_retries"] == 2

    with pytest.raises(CloudUnavailable) as write:
        cloud.client.save_wx_voip_auth(voip_device.id, 1)
    assert cloud.wire.sent[SDK + "saveWXVoipAuth"] == 1 and write.value.outcome_unknown


def test_rate_limits_are_typed_and_retried_for_reads_only(cloud: CloudRig, voip_device: VoipDevice) -> None:
    home = warm(cloud)
    cloud.box.faults(cloud_qps=0)
    with pytest.raises(CloudRateLimited) as caught:
        cloud.client.get_device_list(home)
    assert caught.value.code == 1199 and cloud.wire.sent[SDK + "getDeviceList"] == 3
    with pytest.raises(CloudRateLimited):
        cloud.client.save_voip_auth_user(voip_device.id, voip_device.auth.user_id)
    assert cloud.wire.sent[SDK + "saveVoipAuthUser"] == 1


def test_a_retry_that_succeeds_returns_the_result(cloud: CloudRig) -> None:
    home = warm(cloud)
    cloud.box.faults(error_rate=0.5)
    # With three attempts a read fails only when all three do (1 in 8); over 12 reads some retries happen.
    results = []
    for _ in range(12):
        try:
            results.append(len(cloud.client.get_device_list(home)))
        except CloudUnavailable:
            results.append(None)
    assert cloud.client.stats()["cloud_retries"] > 0 and any(results)


def test_timeouts_are_bounded_and_a_write_times_out_once(cloud: CloudRig, voip_device: VoipDevice) -> None:
    session, wire = counted_session()
    client = CloudClient.from_settings(session=session, timeout=0.4, backoff=0.01)
    home = next(iter(client.list_homes(page_size=1))).owner_id
    cloud.box.faults(timeout_rate=1, timeout_ms=1500)
    started = time.monotonic()
    with pytest.raises(CloudTimeout) as caught:
        client.get_device_list(home)
    assert wire.sent[SDK + "getDeviceList"] == 3 and time.monotonic() - started < 3
    assert caught.value.outcome_unknown and "0.4 s" in str(caught.value)
    with pytest.raises(CloudTimeout) as write:
        client.save_wx_voip_auth(voip_device.id, 1)
    assert wire.sent[SDK + "saveWXVoipAuth"] == 1 and write.value.outcome_unknown


def test_an_unreachable_cloud_is_unavailable_and_nothing_was_sent(
    sandbox_settings: Any, local_cache: None
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again at once: nobody listens there
    session, wire = counted_session()
    client = CloudClient.from_settings(base_url=f"http://127.0.0.1:{port}", session=session, backoff=0.01)
    with pytest.raises(CloudUnavailable) as caught:
        client.get_device_list("x")
    assert caught.value.outcome_unknown is False and wire.count("/v1.0/token") == 3


def test_wrong_credentials_are_auth_errors(sandbox_settings: Any, local_cache: None) -> None:
    session, wire = counted_session()
    with pytest.raises(CloudAuthError) as bad_secret:
        CloudClient.from_settings(client_secret="not-the-secret", session=session).get_device_list("x")
    assert bad_secret.value.code == 1004 and wire.count("/v1.0/token") == 1
    assert "not-the-secret" not in str(bad_secret.value)
    with pytest.raises(CloudAuthError) as bad_id:
        CloudClient.from_settings(client_id="someone-else", session=session).get_device_list("x")
    assert bad_id.value.code == 1005


def test_an_expired_token_is_refreshed_once_and_the_call_succeeds(cloud: CloudRig) -> None:
    warm(cloud)
    old = cache.get(cloud.client.token.key)
    assert isinstance(old, TokenRecord) and cloud.client.token.refreshes == 1
    cloud.box.control("POST", "tokens/expire")
    assert len(cloud.client.list_homes(page_size=1)) == 1
    new = cache.get(cloud.client.token.key)
    assert new.access_token != old.access_token
    assert cloud.wire.sent[f"/v1.0/token/{old.refresh_token}"] == 1  # refreshed with the refresh token
    assert cloud.client.stats()["cloud_token_retries"] == 1 and cloud.client.token.refreshes == 2


def test_a_token_revoked_by_a_new_grant_is_replaced_once(cloud: CloudRig) -> None:
    warm(cloud)
    cloud.box.token(fresh=True)  # another holder of our credentials takes a new token: ours answers 1011
    assert len(cloud.client.list_homes(page_size=1)) == 1
    assert cloud.client.stats()["cloud_token_retries"] == 1 and cloud.client.token.refreshes == 2


def test_a_token_near_expiry_is_refreshed_before_use(cloud: CloudRig) -> None:
    warm(cloud)
    old = cache.get(cloud.client.token.key)
    cache.set(cloud.client.token.key, TokenRecord(old.access_token, time.time() + 60, old.refresh_token))
    assert len(cloud.client.list_homes(page_size=1)) == 1
    assert cloud.wire.sent[f"/v1.0/token/{old.refresh_token}"] == 1
    assert cloud.client.stats()["cloud_token_retries"] == 0  # no 1010 was needed to notice


class DroppingCache:
    """The project cache, but the first ``drop`` sets store nothing (as the database cache does on a busy database)."""

    def __init__(self, drop: int) -> None:
        self.drop = drop
        self.sets = 0

    def get(self, key: str) -> Any:
        return cache.get(key)

    def set(self, key: str, value: Any, timeout: int) -> None:
        self.sets += 1
        if self.sets > self.drop:
            cache.set(key, value, timeout=timeout)


def test_a_refreshed_token_the_cache_dropped_is_stored_again(cloud: CloudRig) -> None:
    warm(cloud)
    old = cache.get(cloud.client.token.key)
    cloud.client.token.cache = dropping = DroppingCache(drop=1)
    cloud.box.control("POST", "tokens/expire")
    assert len(cloud.client.list_homes(page_size=1)) == 1
    assert dropping.sets == 2  # read back, found missing, set again while the lock was held
    assert cache.get(cloud.client.token.key).access_token != old.access_token
    grants = cloud.wire.count("/v1.0/token")
    assert len(cloud.client.list_homes(page_size=1)) == 1 and cloud.wire.count("/v1.0/token") == grants


def test_a_refreshed_token_the_cache_never_keeps_is_used_and_said(
    cloud: CloudRig, caplog: pytest.LogCaptureFixture
) -> None:
    warm(cloud)
    old = cache.get(cloud.client.token.key)
    cloud.client.token.cache = DroppingCache(drop=99)
    cloud.box.control("POST", "tokens/expire")
    with caplog.at_level(logging.WARNING, logger="voipadmin"):
        assert len(cloud.client.list_homes(page_size=1)) == 1
    assert cache.get(cloud.client.token.key) == old  # nothing half-written: the cache holds what it held
    assert "did not keep it" in caplog.text


def test_two_clients_in_one_process_share_the_token(cloud: CloudRig) -> None:
    warm(cloud)
    session, wire = counted_session()
    other = CloudClient.from_settings(session=session)
    assert len(other.list_homes(page_size=1)) == 1 and wire.count("/v1.0/token") == 0


@pytest.mark.django_db
def test_the_token_lives_in_the_project_cache(sandbox_settings: Any) -> None:
    client = CloudClient.from_settings(session=counted_session()[0])
    assert len(client.list_homes(page_size=1)) == 1
    assert isinstance(cache.get(client.token.key), TokenRecord)
    cache.delete(client.token.key)


def test_malformed_fields_are_named(cloud: CloudRig, voip_device: VoipDevice) -> None:
    client, dev, box = cloud.client, voip_device, cloud.box
    mall = next(
        m for m in client.list_malls() if client.get_subscription_order_list(m.mall_code, m.site_code)
    )
    codes = box.control("GET", "exchange-codes")
    code = next(c for c in codes if c["state"] == "valid" and c["catalogCode"] == "VOIP")
    reads = {
        "getDeviceList": lambda: client.get_device_list(dev.owner_id),
        "getDeviceAddValueType": lambda: client.get_device_add_value_type(dev.id),
        "getDeviceCapability": lambda: client.get_device_capability(dev.id),
        "getCommodityList": lambda: client.get_commodity_list(dev.id),
        "getAppMallInfo": lambda: client.get_app_mall_info(dev.id, "VOIP"),
        "getOrderList": lambda: client.get_order_list(mall.mall_code, mall.site_code, page_size=20),
        "getSubscriptionOrderList": lambda: client.get_subscription_order_list(
            mall.mall_code, mall.site_code
        ),
        "getServiceIntroduction": lambda: client.get_service_introduction("voip"),
        "getServiceListByDevice": lambda: client.get_service_list_by_device(dev.id),
        "getVoipAuthUser": lambda: client.get_voip_auth_user(dev.id),
        "getDeviceWXUserInfo": lambda: client.get_device_wx_user_info(
            dev.capability.app_id, dev.auth.user_id
        ),
        "voipServiceAuthorization": lambda: client.voip_service_authorization(dev.id, dev.name, dev.uuid),
        "ext/listHomes": lambda: client.list_homes(),
        "ext/listUsers": lambda: client.list_users(),
        "ext/getHome": lambda: client.get_home(dev.owner_id),
        "ext/listDevicesChanged": lambda: client.list_devices_changed(),
        "saveWXVoipAuth": lambda: client.save_wx_voip_auth(dev.id, 1),
        "saveVoipAuthUser": lambda: client.save_voip_auth_user(dev.id, dev.auth.user_id),
        "exchangeCode": lambda: client.exchange_code(
            device_id=dev.id,
            catalog_code="VOIP",
            home_id=dev.owner_id,
            code=code["code"],
            name=dev.name,
            uuid=dev.uuid,
        ),
    }
    box.faults(malformed_rate=1)
    for name, call in reads.items():
        before = cloud.wire.sent[SDK + name]
        try:
            value = call()
        except CloudBadResponse as exc:
            named = exc.field
        else:
            assert value.errors, name  # a list answer keeps its good records and names the bad one
            named = value.errors[0].field
        assert named == cloud.wire.headers[-1]["X-Sandbox-Malformed"], name
        assert cloud.wire.sent[SDK + name] == before + 1, name  # a bad answer is not retried


def test_secrets_and_tokens_never_reach_logs_or_errors(
    cloud: CloudRig, voip_device: VoipDevice, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")  # settings quiet it; here we want every request line
    client, box = cloud.client, cloud.box
    errors: list[CloudError] = []
    box.control("POST", "tokens/expire")
    for faults in ({"error_rate": 1}, {"cloud_qps": 0}, {"malformed_rate": 1}, {}):
        box.faults(**faults)
        try:
            client.get_voip_auth_user(voip_device.id)
        except CloudError as exc:
            errors.append(exc)
    with pytest.raises(CloudError) as refused:
        client.get_service_list_by_device("no-such-device")
    errors.append(refused.value)
    record = cache.get(client.token.key)
    secrets = [box.client_secret, record.access_token, record.refresh_token]
    assert len(errors) == 4 and caplog.text
    for secret in secrets:
        assert secret not in caplog.text
        assert all(secret not in str(e) and secret not in repr(e.args) for e in errors)


def test_find_voip_device_helper_is_deterministic(cloud: CloudRig) -> None:
    # The other tests rely on the seeded world having a VoIP device with an auth user and openId.
    assert find_voip_device(cloud.client) == find_voip_device(cloud.client)
