"""The load test's users (Locust): logged-in support people reading lists, filters, searches, device pages and
htmx fragments of the bench data set (bench/seed.py). Run by bench/load.py, which sets LOAD_PAUSE (seconds
between pages; 0 = no pause) and LOAD_USERS (how many accounts exist: load-00 …)."""

from __future__ import annotations

import hashlib
import os
import random
import re

from locust import HttpUser, between, constant, task

PAUSE = float(os.environ.get("LOAD_PAUSE", "1"))
ACCOUNTS = int(os.environ.get("LOAD_USERS", "50"))
DEVICES = int(os.environ.get("LOAD_DEVICES", "1000000"))
HTMX = {"HX-Request": "true"}
OPEN_ID = "o" + hashlib.md5(b"42openid").hexdigest()[:27]  # noqa: S324 -- bench/seed.py's open_id(42)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_next = iter(range(10**9))


def device() -> str:
    return f"vd{random.randrange(DEVICES):08d}"


class Support(HttpUser):
    wait_time = constant(PAUSE) if PAUSE else between(0, 0)

    def on_start(self) -> None:
        name = f"load-{next(_next) % ACCOUNTS:02d}"
        page = self.client.get("/accounts/login/", name="login")
        token = CSRF.search(page.text).group(1)
        answer = self.client.post(
            "/accounts/login/",
            {"username": name, "password": "load-test-password", "csrfmiddlewaretoken": token},
            name="login",
            allow_redirects=False,
        )
        if answer.status_code != 302:
            raise RuntimeError(f"{name} could not log in: {answer.status_code}")

    # Each request is named by its page, so the report breaks the mix down page by page (bench/load.py).
    @task(4)
    def lists(self) -> None:
        url = random.choice(["/devices/", "/homes/", "/audit/", "/mall/orders/"])
        self.client.get(url, name=f"list {url}")

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
        self.client.get(url, headers=HTMX, name=f"filter {url}")

    @task(2)
    def search(self) -> None:
        kind, q = random.choice(
            [("device id", device()), ("user id", "vu0000042"), ("name", "王伟"), ("name", "Emma")]
        )
        self.client.get(f"/search/?q={q}", name=f"search by {kind}", allow_redirects=False)

    @task(3)
    def device_page(self) -> None:
        d = device()
        self.client.get(f"/devices/{d}/", name="device page")
        self.client.get(f"/mall/devices/{d}/panel/", headers=HTMX, name="device mall panel (htmx)")

    @task(1)
    def overview(self) -> None:
        self.client.get("/", name="overview")
