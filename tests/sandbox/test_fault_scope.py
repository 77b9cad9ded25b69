"""Faults aimed at named calls and records, the cloud's `false`, answers lost after a write, a fault seed."""

from __future__ import annotations

import pytest
import requests

from tests.fixtures.sandbox import Sandbox


def _voip_device(box: Sandbox) -> dict:
    homes = box.result("ext/listHomes", {"pageNo": 1, "pageSize": 50})["data"]
    for home in homes:
        for device in box.result("getDeviceList", {"owner_id": home["ownerId"]}):
            if box.result("getVoipAuthUser", {"device_id": device["id"]}):
                return device
    raise AssertionError("the seeded world has no VoIP device")


def test_faults_reach_only_the_named_calls_and_records(sandbox_clean: Sandbox) -> None:
    box = sandbox_clean
    homes = box.result("ext/listHomes", {"pageNo": 1, "pageSize": 3})["data"]
    hit, spared = homes[0]["ownerId"], homes[1]["ownerId"]
    box.faults(error_rate=1, calls=["getDeviceList"], records=[hit])
    assert box.call("getDeviceList", {"owner_id": hit})["success"] is False
    assert box.call("getDeviceList", {"owner_id": spared})["success"] is True
    assert box.call("ext/listHomes", {"pageNo": 1, "pageSize": 3})["success"] is True
    snapshot = box.stats()["faults"]
    assert snapshot["calls"] == ["getDeviceList"] and snapshot["records"] == [hit]


def test_answer_false_changes_nothing_and_counts_no_write(sandbox_clean: Sandbox) -> None:
    box = sandbox_clean
    device = _voip_device(box)
    before = box.result("getVoipAuthUser", {"device_id": device["id"]})["isAuth"]
    box.faults(answer_false=1, calls=["saveWXVoipAuth"])
    env = box.call("saveWXVoipAuth", {"device_id": device["id"], "auth_tag": int(not before)})
    assert env["success"] is True and env["result"] is False
    box.faults()
    assert box.result("getVoipAuthUser", {"device_id": device["id"]})["isAuth"] == before
    assert box.stats()["writes"]["saveWXVoipAuth"] == 0


@pytest.mark.parametrize("mode", ["5xx", "reset"])
def test_after_write_applies_then_loses_the_answer(sandbox_clean: Sandbox, mode: str) -> None:
    box = sandbox_clean
    device = _voip_device(box)
    before = box.result("getVoipAuthUser", {"device_id": device["id"]})["isAuth"]
    box.faults(after_write=mode, calls=["saveWXVoipAuth"])
    params = {"device_id": device["id"], "auth_tag": int(not before)}
    if mode == "5xx":
        resp = box.request("POST", "/v1.0/vas/voip/saveWXVoipAuth", params, box.token())
        assert resp.status_code == 500
    else:
        with pytest.raises(requests.ConnectionError):
            box.request("POST", "/v1.0/vas/voip/saveWXVoipAuth", params, box.token())
    box.faults()
    assert box.result("getVoipAuthUser", {"device_id": device["id"]})["isAuth"] == (not before)
    assert box.stats()["writes"]["saveWXVoipAuth"] == 1


def test_refuse_code_answers_that_code_and_applies_nothing(sandbox_clean: Sandbox) -> None:
    box = sandbox_clean
    device = _voip_device(box)
    box.faults(refuse_code=1109, calls=["saveWXVoipAuth"], records=[device["id"]])
    env = box.call("saveWXVoipAuth", {"device_id": device["id"], "auth_tag": 1})
    assert (env["success"], env["code"]) == (False, 1109)
    assert box.stats()["writes"]["saveWXVoipAuth"] == 0


def test_a_seed_makes_the_rolls_repeatable(sandbox_clean: Sandbox) -> None:
    box = sandbox_clean
    outcomes = []
    for _ in range(2):
        box.faults(error_rate=0.5, seed=7, calls=["ext/listMalls"])
        outcomes.append([box.call("ext/listMalls", {})["success"] for _ in range(16)])
    assert outcomes[0] == outcomes[1] and True in outcomes[0] and False in outcomes[0]


@pytest.mark.parametrize(
    "bad",
    [
        {"calls": "exchangeCode"},
        {"records": [1]},
        {"after_write": "later"},
        {"seed": 1.5},
        {"answer_false": 2},
    ],
)
def test_bad_fault_settings_are_400(sandbox_clean: Sandbox, bad: dict) -> None:
    with pytest.raises(requests.HTTPError) as exc:
        sandbox_clean.control("POST", "faults", bad)
    assert exc.value.response.status_code == 400
