"""Production settings fail loudly when insecure, and pass Django's deployment checklist when set right."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_prints_no_warning_with_production_variables() -> None:
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="voipadmin.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_debug_off_without_secret_key_fails_at_start() -> None:
    result = _manage("check", DEBUG="false", ALLOWED_HOSTS="voipadmin.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_off_refuses_a_weak_key_and_a_wildcard_host() -> None:
    weak = _manage("check", DEBUG="false", SECRET_KEY="short", ALLOWED_HOSTS="voipadmin.example.com")
    assert weak.returncode != 0 and "SECRET_KEY is insecure" in weak.stderr
    wildcard = _manage("check", DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="*")
    assert wildcard.returncode != 0 and "ALLOWED_HOSTS" in wildcard.stderr
