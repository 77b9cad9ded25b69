"""Logins, sessions and responses to ASVS 4.0.3 level 2 (V2.2.1, V3.3.2, V3.3.4), and the production settings."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from axes.models import AccessFailureLog
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from voipadmin.core.models import UserSession
from voipadmin.core.roles import SUPPORT, VIEWER
from voipadmin.core.sessions import AUTH_AT, SEEN_AT

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
pytestmark = pytest.mark.django_db


def _login(client: Client, username: str, password: str = PASSWORD, address: str = "127.0.0.1") -> int:
    response = client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )
    return response.status_code


# -- failed logins ---------------------------------------------------------------------------------------------
def test_a_pair_is_locked_after_five_failures_and_the_page_says_until_when(
    client: Client, make_user: Callable[..., User]
) -> None:
    make_user(VIEWER, username="victim", password=PASSWORD)
    assert [_login(client, "victim", "wrong") for _ in range(5)] == [200] * 4 + [429]
    response = client.post(
        "/accounts/login/", {"username": "victim", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    assert "logins are refused until" in response.content.decode()
    # The same name from another address, and another name from this one, still log in.
    assert _login(Client(), "victim", address="10.9.8.7") == 302


def test_an_address_is_locked_after_thirty_failures_across_names(
    client: Client, make_user: Callable[..., User], settings
) -> None:
    make_user(VIEWER, username="someone", password=PASSWORD)
    for i in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        _login(client, f"guess-{i}", "Winter2026!", address="203.0.113.5")
    assert _login(Client(), "someone", address="203.0.113.5") == 429
    assert _login(Client(), "someone", address="203.0.113.6") == 302


def test_a_user_name_is_slowed_to_a_hundred_failures_an_hour_never_for_good(
    client: Client, make_user: Callable[..., User], settings
) -> None:
    make_user(VIEWER, username="owner", password=PASSWORD)
    now = timezone.now()
    AccessFailureLog.objects.bulk_create(
        AccessFailureLog(
            username="owner",
            ip_address=f"198.51.{i // 200}.{i % 200 + 1}",
            user_agent="bot",
            http_accept="*/*",
            path_info="/accounts/login/",
            attempt_time=now - dt.timedelta(minutes=50),
        )
        for i in range(settings.LOGIN_USERNAME_FAILURES_PER_HOUR)
    )
    assert _login(client, "owner", address="192.0.2.44") == 429
    AccessFailureLog.objects.update(attempt_time=now - dt.timedelta(minutes=61))
    assert _login(client, "owner", address="192.0.2.44") == 302


def test_a_forwarded_for_header_is_not_believed_without_a_trusted_proxy(
    make_user: Callable[..., User],
) -> None:
    make_user(VIEWER, username="victim", password=PASSWORD)
    client = Client()
    for i in range(5):
        client.post(
            "/accounts/login/", {"username": "victim", "password": "x"}, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}"
        )
    assert _login(client, "victim") == 429  # all five came from the socket's address


def test_passwords_need_twelve_characters_and_no_common_one() -> None:
    with pytest.raises(ValidationError):
        validate_password("Tr0ub4dor&3")  # eleven characters
    common_list = Path(__import__("django").__file__).parent / "contrib/auth/common-passwords.txt.gz"
    with gzip.open(common_list, "rt") as words:
        common = next(p for p in words.read().split() if len(p) >= 12 and not p.isdigit())
    with pytest.raises(ValidationError):
        validate_password(common)
    validate_password("violet staple orbit 41")


def test_changing_the_password_logs_out_every_session(make_user: Callable[..., User]) -> None:
    user = make_user(SUPPORT, username="changer", password=PASSWORD)
    client = Client()
    assert _login(client, "changer") == 302
    assert client.get("/").status_code == 200
    user.set_password("a brand new long passphrase")
    user.save()
    assert client.get("/").status_code == 302  # the session's password hash no longer matches


# -- sessions --------------------------------------------------------------------------------------------------
def _aged(client: Client, **seconds_ago: float) -> None:
    session = client.session
    for key, ago in seconds_ago.items():
        session[{"auth": AUTH_AT, "seen": SEEN_AT}[key]] = time.time() - ago
    session.save()


def test_a_session_ends_twelve_hours_after_the_login(make_user: Callable[..., User]) -> None:
    make_user(VIEWER, username="long-day", password=PASSWORD)
    client = Client()
    _login(client, "long-day")
    _aged(client, auth=12 * 3600 + 5, seen=10)
    response = client.get("/devices/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_session_ends_after_thirty_idle_minutes_and_polling_is_not_activity(
    make_user: Callable[..., User],
) -> None:
    make_user(VIEWER, username="idle", password=PASSWORD)
    client = Client()
    _login(client, "idle")
    _aged(client, auth=3600, seen=29 * 60)
    background = client.get("/", HTTP_HX_REQUEST="true", HTTP_X_BACKGROUND="1")
    assert background.status_code == 200
    assert time.time() - client.session[SEEN_AT] > 28 * 60  # polling did not refresh it
    _aged(client, auth=3600, seen=31 * 60)
    response = client.get("/", HTTP_HX_REQUEST="true", HTTP_X_BACKGROUND="1")
    assert response.status_code == 401 and response["HX-Redirect"].startswith("/accounts/login/")
    assert client.get("/").status_code == 302


def test_activity_keeps_a_session_alive(make_user: Callable[..., User]) -> None:
    make_user(VIEWER, username="busy", password=PASSWORD)
    client = Client()
    _login(client, "busy")
    _aged(client, auth=3600, seen=29 * 60)
    assert client.get("/devices/").status_code == 200
    assert time.time() - client.session[SEEN_AT] < 60


def test_a_person_sees_their_sessions_and_ends_another(make_user: Callable[..., User]) -> None:
    make_user(SUPPORT, username="two-desks", password=PASSWORD)
    make_user(VIEWER, username="someone-else", password=PASSWORD)
    desk, laptop, other = Client(), Client(), Client()
    for client, name in ((desk, "two-desks"), (laptop, "two-desks"), (other, "someone-else")):
        assert _login(client, name) == 302
    page = desk.get("/account/sessions/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert page.count("<tr>") - 1 == 2 and "this session" in page  # two rows of this user, none of the other
    laptop_key = laptop.session.session_key
    assert desk.post("/account/sessions/end/", {"key": laptop_key}).status_code == 302
    assert laptop.get("/").status_code == 302  # that browser is logged out
    assert desk.get("/").status_code == 200
    assert desk.post("/account/sessions/end/", {"key": other.session.session_key}).status_code == 302
    assert other.get("/").status_code == 200  # nobody ends someone else's session
    assert desk.post("/account/sessions/end/", {"others": "1"}).status_code == 302
    assert UserSession.objects.filter(user__username="two-desks").count() == 1
    assert desk.post("/account/sessions/end/", {}).status_code == 400


# -- responses -------------------------------------------------------------------------------------------------
def test_every_authenticated_answer_is_no_store(support_client: Client) -> None:
    for path in ("/", "/devices/", "/mall/orders/?format=csv", "/audit/", "/search/?q=x&dropdown=1"):
        response = support_client.get(path, HTTP_HX_REQUEST="true")
        assert "no-store" in response.get("Cache-Control", ""), path


def test_csp_violations_are_reported_to_an_endpoint(client: Client, caplog) -> None:
    assert "report-uri /csp-report/" in client.get("/accounts/login/")["Content-Security-Policy"]
    report = {
        "csp-report": {"violated-directive": "script-src", "blocked-uri": "inline", "document-uri": "/x?a=1"}
    }
    with caplog.at_level("WARNING", logger="voipadmin.csp"):
        response = client.post("/csp-report/", json.dumps(report), content_type="application/csp-report")
    assert response.status_code == 204
    assert "script-src blocked inline on /x" in caplog.text and "a=1" not in caplog.text
    assert client.post("/csp-report/", "not json", content_type="application/json").status_code == 400
    assert client.get("/csp-report/").status_code == 405


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k3Y-" + "x7Q9p2LmZ4vB8nC1" * 4,
    "ALLOWED_HOSTS": "console.example.com",
}


def _django(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "ALLOWED_HOSTS", "SECRET_KEY"}}
    clean |= {"DJANGO_SETTINGS_MODULE": "voipadmin.settings", **env}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup();" + code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_needs_allowed_hosts() -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "ALLOWED_HOSTS"}
    done = _django("", **env)
    assert done.returncode != 0 and "ALLOWED_HOSTS must be set" in done.stderr


PROBE = (
    "from django.test import Client;"
    "r = Client(SERVER_NAME='console.example.com').get('/healthz', HTTP_X_FORWARDED_PROTO='https');"
    "print(r.status_code)"
)


def test_the_forwarded_proto_header_is_believed_only_when_configured() -> None:
    assert _django(PROBE, **PRODUCTION).stdout.strip() == "301"  # plain HTTP, whatever the header says
    trusted = _django(PROBE, **PRODUCTION, TRUST_X_FORWARDED_PROTO="true").stdout.strip()
    assert trusted in {"200", "503"}  # served (503: a broker check may fail here), not redirected


def test_check_deploy_is_clean_with_production_settings() -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        # Without what the browser tests set for themselves (async-unsafe) and the development DEBUG.
        env={
            **{k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}},
            **PRODUCTION,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
