"""A separate process using a client against the sandbox, sharing a DatabaseCache file with its siblings.

Run as ``python -m tests.clients.token_worker '<json options>'``; prints one JSON line: how many token requests
this process sent, which access tokens it used, how many calls succeeded and which errors it met.
Options: kind (cloud|wechat), url, db (SQLite file of the cache), start_at (epoch s: all workers start together),
calls, app_id, model_id, sn, openid, sqlite (the product's SQLite OPTIONS), setup (create the cache table and exit).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import django
import requests
from django.conf import settings
from requests.adapters import HTTPAdapter


class Watch(HTTPAdapter):
    def __init__(self) -> None:
        super().__init__(max_retries=0)
        self.token_requests = 0
        self.tokens: set[str] = set()

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        parts = urlsplit(request.url or "")
        if parts.path.startswith(("/v1.0/token", "/cgi-bin/token", "/cgi-bin/stable_token")):
            self.token_requests += 1
        token = request.headers.get("access_token") or parse_qs(parts.query).get("access_token", [None])[0]
        if token:
            self.tokens.add(token)
        return super().send(request, *args, **kwargs)


def configure(opts: dict[str, Any]) -> None:
    settings.configure(
        USE_TZ=True,
        # voipadmin for its lock table (the refresh lock), and what its models and migrations stand on.
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django_celery_beat",
            "voipadmin.core.apps.VoipadminConfig",
        ],
        # The product's SQLite options (the test passes settings.SQLITE_OPTIONS): the processes meet as they
        # do on the embedded default.
        DATABASES={
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": opts["db"], "OPTIONS": opts["sqlite"]}
        },
        CACHES={"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "tokens"}},
        CLOUD_BASE_URL=opts["url"],
        WECHAT_BASE_URL=opts["url"],
        CLOUD_CLIENT_ID="voipadmin-sandbox",
        CLOUD_CLIENT_SECRET="sandbox-secret-change-me",
        WECHAT_APP_SECRETS={opts.get("app_id", "x"): opts.get("secret", "")},
    )
    django.setup()


def run(opts: dict[str, Any]) -> dict[str, Any]:
    from voipadmin.core.clients import CloudClient, WeChatClient
    from voipadmin.core.clients.errors import CloudError, WeChatError

    session = requests.Session()
    watch = Watch()
    session.mount("http://", watch)
    if opts["kind"] == "cloud":
        client: Any = CloudClient.from_settings(session=session, backoff=0.01)

        def call() -> None:
            client.list_homes(page_size=1)
    else:
        client = WeChatClient.from_settings(opts["app_id"], session=session, backoff=0.01)

        def call() -> None:
            client.observe_authorization(opts["model_id"], sn=opts["sn"], openids=[opts["openid"]])

    time.sleep(max(0.0, opts["start_at"] - time.time()))
    ok, errors = 0, []
    for _ in range(opts.get("calls", 3)):
        try:
            call()
            ok += 1
        except (CloudError, WeChatError) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    stats = client.stats()
    return {
        "token_requests": watch.token_requests,
        "tokens": sorted(watch.tokens),
        "ok": ok,
        "errors": errors,
        "token_retries": stats.get("cloud_token_retries", stats.get("wechat_token_retries")),
    }


def main() -> None:
    opts = json.loads(sys.argv[1])
    configure(opts)
    if opts.get("setup"):
        from django.core.management import call_command

        call_command("migrate", verbosity=0)  # every installed app: their post_migrate hooks read each other
        call_command("createcachetable", verbosity=0)
        return
    print(json.dumps(run(opts)), flush=True)


if __name__ == "__main__":
    main()
