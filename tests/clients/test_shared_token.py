"""Two processes sharing one cache (a DatabaseCache in a SQLite file) refresh a token once, not twice."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.clients.conftest import APPS, CloudRig, VoipDevice
from tests.fixtures.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def run_workers(opts: dict[str, Any], n: int = 2) -> list[dict[str, Any]]:
    """Start ``n`` workers that begin calling at the same instant; their JSON reports."""
    start = {**opts, "start_at": time.time() + 4}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.clients.token_worker", json.dumps(start)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return reports


@pytest.fixture
def shared_db(tmp_path: Path, sandbox_clean: Sandbox) -> dict[str, Any]:
    opts = {
        "url": sandbox_clean.url,
        "db": str(tmp_path / "cache.sqlite3"),
        "sqlite": settings.SQLITE_OPTIONS,
    }
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.clients.token_worker",
            json.dumps({**opts, "setup": True, "kind": "-"}),
        ],
        cwd=ROOT,
        check=True,
    )
    return opts


def test_two_processes_get_one_cloud_token(shared_db: dict[str, Any]) -> None:
    reports = run_workers({**shared_db, "kind": "cloud", "calls": 3})
    assert [r["ok"] for r in reports] == [3, 3] and [r["errors"] for r in reports] == [[], []]
    assert sum(r["token_requests"] for r in reports) == 1
    # Both used the one token, and neither met a 1011 (a second grant would have revoked the first token).
    assert reports[0]["tokens"] == reports[1]["tokens"] and len(reports[0]["tokens"]) == 1
    assert [r["token_retries"] for r in reports] == [0, 0]


def test_after_expiry_two_processes_refresh_once(shared_db: dict[str, Any], sandbox_clean: Sandbox) -> None:
    first = run_workers({**shared_db, "kind": "cloud", "calls": 1}, n=1)[0]
    sandbox_clean.control("POST", "tokens/expire")
    reports = run_workers({**shared_db, "kind": "cloud", "calls": 2})
    assert [r["ok"] for r in reports] == [2, 2]
    assert sum(r["token_requests"] for r in reports) == 1, (first, reports)  # one refresh between them
    new = {t for r in reports for t in r["tokens"]} - set(first["tokens"])
    assert len(new) == 1 and all(r["token_retries"] <= 1 for r in reports)


def test_two_processes_share_one_wechat_token(
    shared_db: dict[str, Any], cloud: CloudRig, voip_device: VoipDevice
) -> None:
    app_id = voip_device.capability.app_id
    opts = {
        **shared_db,
        "kind": "wechat",
        "calls": 2,
        "app_id": app_id,
        "secret": APPS[app_id],
        "model_id": voip_device.capability.model_id,
        "sn": voip_device.uuid,
        "openid": voip_device.open_id,
    }
    reports = run_workers(opts)
    assert [r["ok"] for r in reports] == [2, 2] and [r["errors"] for r in reports] == [[], []]
    assert sum(r["token_requests"] for r in reports) == 1
    assert reports[0]["tokens"] == reports[1]["tokens"] and len(reports[0]["tokens"]) == 1
