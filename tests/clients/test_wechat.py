"""WeChatClient against the sandbox over real HTTP: tokens, sn tickets, observations and their errors."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import pytest
from django.core.cache import cache

from tests.clients.conftest import APPS, CloudRig, CountingAdapter, VoipDevice, find_voip_device
from voipadmin.core.clients import MAX_OBSERVATION_BATCH, WeChatClient
from voipadmin.core.clients._http import TokenRecord
from voipadmin.core.clients.errors import (
    WeChatAuthError,
    WeChatBadResponse,
    WeChatBusy,
    WeChatConfigError,
    WeChatError,
    WeChatQuotaExceeded,
    WeChatRateLimited,
)
from voipadmin.core.clients.models import AuthObservation, Items, SnTicket

Make = Callable[..., tuple[WeChatClient, CountingAdapter]]
OBSERVE = "/wxa/business/voip/getIotBindContactList"


@pytest.fixture
def wx(make_wechat: Make, voip_device: VoipDevice) -> tuple[WeChatClient, CountingAdapter]:
    return make_wechat(voip_device.capability.app_id)


def observe_one(client: WeChatClient, dev: VoipDevice) -> AuthObservation:
    (obs,) = client.observe_authorization(dev.capability.model_id, [(dev.uuid, [dev.open_id])])
    return obs


def test_stable_token_is_preferred_and_shared(
    wx: tuple[WeChatClient, CountingAdapter], voip_device: VoipDevice
) -> None:
    client, wire = wx
    ticket = client.get_sn_ticket(voip_device.uuid, voip_device.capability.model_id)
    assert isinstance(ticket, SnTicket) and len(ticket.ticket) >= 16
    assert ticket.expires_at - dt.datetime.now(dt.UTC) <= dt.timedelta(seconds=300)
    observe_one(client, voip_device)
    assert wire.sent["/cgi-bin/stable_token"] == 1 and wire.sent["/cgi-bin/token"] == 0
    assert isinstance(cache.get(client.token.key), TokenRecord)


def test_the_plain_token_endpoint_is_the_fallback(make_wechat: Make, voip_device: VoipDevice) -> None:
    client, wire = make_wechat(voip_device.capability.app_id, prefer_stable_token=False)
    observe_one(client, voip_device)
    assert wire.sent["/cgi-bin/token"] == 1 and wire.sent["/cgi-bin/stable_token"] == 0


def test_observations_follow_the_truth(cloud: CloudRig, make_wechat: Make) -> None:
    box = cloud.box
    flipped = set(box.control("POST", "wechat/flip", {"count": 3})["devices"])
    dev = find_voip_device(cloud.client, lambda d: d.id in flipped)
    client, _ = make_wechat(dev.capability.app_id)
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    obs = client.observe_authorization(dev.capability.model_id, {dev.uuid: [dev.open_id, "o_nobody"]})
    assert isinstance(obs, Items) and obs.errors == ()
    mine, nobody = obs
    assert isinstance(mine, AuthObservation) and (mine.sn, mine.openid) == (dev.uuid, dev.open_id)
    assert mine.model_id == dev.capability.model_id and mine.observed_at >= before
    assert mine.authorized is not dev.auth.is_auth  # a flip makes WeChat's truth disagree with the cloud
    assert nobody.authorized is False
    box.control("POST", "wechat/clear", {"openid": dev.open_id})  # the user deleted the mini program
    single = client.observe_authorization(dev.capability.model_id, sn=dev.uuid, openids=[dev.open_id])
    assert [o.authorized for o in single] == [False]


def test_a_batch_is_one_to_fifty_devices_of_one_model(wx: tuple[WeChatClient, CountingAdapter]) -> None:
    client, wire = wx
    with pytest.raises(ValueError, match=r"1\.\.50"):
        client.observe_authorization("m", [(f"sn{i}", ["o"]) for i in range(MAX_OBSERVATION_BATCH + 1)])
    with pytest.raises(ValueError):
        client.observe_authorization("m", [])
    with pytest.raises(ValueError):
        client.observe_authorization("m", [("sn", [])])
    assert wire.sent[OBSERVE] == 0


def test_sn_ticket_errors_are_typed(
    wx: tuple[WeChatClient, CountingAdapter], voip_device: VoipDevice
) -> None:
    client, _ = wx
    model = voip_device.capability.model_id
    for sn, model_id, errcode in [
        ("x" * 129, model, 9800001),
        ("bad sn!", model, 9800002),
        ("sn1", "nope", 9800003),
    ]:
        with pytest.raises(WeChatError) as caught:
            client.get_sn_ticket(sn, model_id)
        assert caught.value.errcode == errcode and "rid:" in caught.value.errmsg


def test_expired_and_illegal_tokens_are_refreshed_once(
    wx: tuple[WeChatClient, CountingAdapter], voip_device: VoipDevice, cloud: CloudRig
) -> None:
    client, wire = wx
    observe_one(client, voip_device)
    cloud.box.control("POST", "tokens/expire")  # the next call meets 42001
    observe_one(client, voip_device)
    assert wire.sent["/cgi-bin/stable_token"] == 2 and client.stats()["wechat_token_retries"] == 1
    cache.set(client.token.key, TokenRecord("not-a-token", 9e9))  # 40014 illegal access_token
    observe_one(client, voip_device)
    assert wire.sent["/cgi-bin/stable_token"] == 3 and client.stats()["wechat_token_retries"] == 2


def test_a_wrong_secret_is_a_clear_error(make_wechat: Make, voip_device: VoipDevice) -> None:
    client, wire = make_wechat(voip_device.capability.app_id, secret="wrong-secret-123")
    with pytest.raises(WeChatAuthError) as caught:
        client.get_sn_ticket(voip_device.uuid, voip_device.capability.model_id)
    assert caught.value.errcode == 40125 and voip_device.capability.app_id in str(caught.value)
    assert "wrong-secret-123" not in str(caught.value) and wire.sent["/cgi-bin/stable_token"] == 1
    with pytest.raises(WeChatConfigError):
        WeChatClient.from_settings("wx-not-configured")


def test_rate_limit_and_daily_quota_are_distinguishable(
    wx: tuple[WeChatClient, CountingAdapter], voip_device: VoipDevice, cloud: CloudRig
) -> None:
    client, wire = wx
    observe_one(client, voip_device)  # the token first: faults count observations only
    cloud.box.faults(wechat_qps=1)
    with pytest.raises(WeChatRateLimited) as limited:
        for _ in range(5):  # two within one second exceed 1 per second
            observe_one(client, voip_device)
    assert limited.value.errcode == 45011
    cloud.box.faults(wechat_daily_quota=2)
    sent = wire.sent[OBSERVE]
    observe_one(client, voip_device)
    observe_one(client, voip_device)
    with pytest.raises(WeChatQuotaExceeded) as quota:
        observe_one(client, voip_device)
    assert quota.value.errcode == 45009 and not isinstance(quota.value, WeChatRateLimited)
    assert wire.sent[OBSERVE] == sent + 3  # neither is retried: the caller's limiter decides


def test_busy_is_retried_up_to_the_limit(
    wx: tuple[WeChatClient, CountingAdapter], voip_device: VoipDevice, cloud: CloudRig
) -> None:
    client, wire = wx
    observe_one(client, voip_device)
    cloud.box.faults(error_rate=1)
    with pytest.raises(WeChatBusy) as caught:
        observe_one(client, voip_device)
    assert caught.value.errcode == -1 and wire.sent[OBSERVE] == 1 + 3


def test_malformed_answers_name_the_field(
    wx: tuple[WeChatClient, CountingAdapter], voip_device: VoipDevice, cloud: CloudRig
) -> None:
    client, wire = wx
    observe_one(client, voip_device)
    cloud.box.faults(malformed_rate=1)
    with pytest.raises(WeChatBadResponse) as ticket:
        client.get_sn_ticket(voip_device.uuid, voip_device.capability.model_id)
    assert ticket.value.field == wire.headers[-1]["X-Sandbox-Malformed"] == "sn_ticket"
    for _ in range(4):  # the sandbox garbles observed_at or one contact's status
        try:
            obs = client.observe_authorization(
                voip_device.capability.model_id, [(voip_device.uuid, [voip_device.open_id])]
            )
            named = obs.errors[0].field
        except WeChatBadResponse as exc:
            named = exc.field
        assert named == wire.headers[-1]["X-Sandbox-Malformed"]


def test_tokens_and_secrets_never_reach_logs(
    wx: tuple[WeChatClient, CountingAdapter], voip_device: VoipDevice, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")  # settings quiet it; here we want every request line
    client, _ = wx
    observe_one(client, voip_device)
    with pytest.raises(WeChatError) as caught:
        client.get_sn_ticket("bad sn!", voip_device.capability.model_id)
    token = cache.get(client.token.key).access_token
    assert "access_token=***" in caplog.text  # urllib3 logged the request line, masked
    for secret in (token, APPS[client.app_id]):
        assert secret not in caplog.text and secret not in str(caught.value)
