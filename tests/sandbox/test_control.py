"""/_control: validation, loopback-only access, the command line's first line."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.fixtures.sandbox import Sandbox


def test_faults_replace_and_clear(sandbox_clean: Sandbox) -> None:
    box = sandbox_clean
    res = box.faults(error_rate=0.2, latency_ms=10)
    assert res["error_rate"] == 0.2 and res["latency_ms"] == 10 and res["timeout_ms"] == 5000
    res = box.faults(malformed_rate=0.1)
    assert res["error_rate"] == 0 and res["malformed_rate"] == 0.1
    assert box.faults()["malformed_rate"] == 0
    assert box.stats()["faults"]["error_rate"] == 0
    for bad in ({"error_rate": 2}, {"nope": 1}, {"latency_ms": -1}):
        with pytest.raises(requests.HTTPError) as exc:
            box.control("POST", "faults", bad)
        assert exc.value.response.status_code == 400


def test_unknown_control_route_and_bad_bodies(sandbox_clean: Sandbox) -> None:
    box = sandbox_clean
    for method, path, body, status in [
        ("GET", "nope", None, 404),
        ("POST", "wechat/flip", {"count": -1}, 400),
        ("POST", "wechat/clear", {}, 400),
        ("POST", "pay", {"orderId": "0"}, 404),
        ("POST", "touch-order", {"orderId": "0", "orderStatus": "bogus"}, 400),
    ]:
        with pytest.raises(requests.HTTPError) as exc:
            box.control(method, path, body)
        assert exc.value.response.status_code == status


def _non_loopback_ip() -> str | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))
            ip = s.getsockname()[0]
    except OSError:
        return None
    return None if ip.startswith("127.") else ip


@pytest.mark.slow
def test_control_refuses_non_loopback_clients(tmp_path: Path) -> None:
    ip = _non_loopback_ip()
    if ip is None:
        pytest.skip("no non-loopback interface")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "--host",
            "0.0.0.0",  # noqa: S104
            "--port",
            "0",
            "--state",
            str(tmp_path / "s.sqlite3"),
            "--homes",
            "2",
            "--orders",
            "10",
            "--subscriptions",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
        assert line.startswith("listening on http://0.0.0.0:")
        port = line.strip().rsplit(":", 1)[1]
        assert requests.get(f"http://{ip}:{port}/_control/stats", timeout=10).status_code == 403
        assert requests.get(f"http://127.0.0.1:{port}/_control/stats", timeout=10).status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)


def test_first_line_names_the_url(sandbox: Sandbox) -> None:
    assert sandbox.url.startswith("http://127.0.0.1:")
    assert requests.get(f"{sandbox.url}/_control/health", timeout=10).json()["ok"] is True
