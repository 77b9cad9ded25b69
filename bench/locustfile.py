"""The load test's users (Locust): logged-in support people reading lists, filters, searches, device pages and
htmx fragments of the bench data set (bench/seed.py). Run by bench/load.py, which sets LOAD_PAUSE (seconds
between pages; 0 = no pause) and LOAD_SESSIONS (a file of logged-in session keys, one a line, one per user).
A page that answers with the login page, or with anything but the status it should, counts as an error."""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path

from locust import HttpUser, between, constant, task

PAUSE = float(os.environ.get("LOAD_PAUSE", "1"))
SESSIONS = Path(os.environ["LOAD_SESSIONS"]).read_text().split()
COOKIE = os.environ.get("LOAD_COOKIE", "sessionid")
DEVICES = int(os.environ.get("LOAD_DEVICES", "1000000"))
HTMX = {"HX-Request": "true"}
OPEN_ID = "o" + hashlib.md5(b"42openid").hexdigest()[:27]  # noqa: S324 -- bench/seed.py's open_id(42)
_next = iter(range(10**9))


def device() -> str:
    return f"vd{random.randrange(DEVICES):08d}"


class Support(HttpUser):
    wait_time = constant(PAUSE) if PAUSE else between(0, 0)

    def on_start(self) -> None:
        # A session bench/load.py logged in before the run (LOAD_SESSIONS: one key a line); the login page and
        # its password hash are not part of the measured mix.
        self.client.cookies.set(COOKIE, SESSIONS[next(_next) % len(SESSIONS)])

    def page(self, url: str, name: str, ok: tuple[int, ...] = (200,), **headers: str) -> None:
        with self.client.get(
            url, name=name, headers=headers, allow_redirects=False, catch_response=True
        ) as answer:
            if answer.status_code not in ok or "/accounts/login/" in answer.headers.get("Location", ""):
                answer.failure(f"{answer.status_code} {answer.headers.get('Location', '')}")

    # Each request is named by its page, so the report breaks the mix down page by page (bench/load.py).
    @task(4)
    def lists(self) -> None:
        url = random.choice(["/devices/", "/homes/", "/audit/", "/mall/orders/"])
        self.page(url, f"list {url}")

    @task(3)
    def filters(self) -> None:
        url = random.choice(
            [
                "/devices/?voip=yes",
                "/devices/?vas_type=2",
                "/audit/?result=failed",
                "/mall/orders/?status=paid&status=refunded",
            ]
        )
        self.page(url, f"filter {url}", **HTMX)

    @task(2)
    def search(self) -> None:
        kind, q = random.choice(
            [("device id", device()), ("user id", "vu0000042"), ("name", "王伟"), ("name", "Emma")]
        )
        self.page(f"/search/?q={q}", f"search by {kind}", ok=(200, 302))

    @task(3)
    def device_page(self) -> None:
        d = device()
        self.page(f"/devices/{d}/", "device page")
        self.page(f"/mall/devices/{d}/panel/", "device mall panel (htmx)", **HTMX)

    @task(1)
    def overview(self) -> None:
        self.page("/", "overview")
