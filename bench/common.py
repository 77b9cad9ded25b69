"""What every benchmark shares: its database, a logged-in client, timing by interleaved rounds, plans, the catalog.

Import after ``django.setup()`` except ``ensure_database`` (it runs before Django knows its database).
Benchmarks, never timed tests: figures are medians of rounds that interleave the cases, so a busy neighbour on
the machine slows every case of a round alike and the ratios stay fair.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sandbox.catalog import ORDER_STATUSES

SITES = {"CN": "CNY", "US": "USD"}
CATALOGS = ["VOIP", "CLOUD_STORAGE", "AI"]
PRODUCTS = [  # (key, type, catalog, zh name, en name, cents CN, cents US)
    ("voip-basic", 1, "VOIP", "微信视频通话(VoIP)", "WeChat video call (VoIP)", 990, 199),
    ("voip-family", 1, "VOIP", "微信视频通话 家庭版", "WeChat video call Family", 16800, 3499),
    ("cloud-7day", 0, "CLOUD_STORAGE", "7 天事件云存储", "7-day event cloud storage", 1500, 299),
    ("cloud-30day", 0, "CLOUD_STORAGE", "30 天全天候云存储", "30-day continuous cloud storage", 4500, 699),
    ("ai-detect", 2, "AI", "AI 智能识别", "AI detection", 600, 99),
]
STATUSES = list(ORDER_STATUSES)  # the sandbox's order statuses
WEIGHTS = [6, 1, 2, 10, 2, 3, 1, 55, 8, 7, 5]  # percent


# How the benchmarks run the product: as in production (DEBUG off) but over plain HTTP on loopback, so no
# HTTPS redirect and no secure-only cookies. Set in the environment before Django reads its settings.
BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "voipadmin.settings",
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-key-never-deployed-0123456789abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "REDIS_URL": "redis://127.0.0.1:6379/13",
}


def django_setup(database_url: str) -> None:
    """Create ``database_url``'s database if missing, then start Django on it with BENCH_ENV's defaults."""
    import os

    os.environ["DATABASE_URL"] = database_url
    for key, value in BENCH_ENV.items():
        os.environ.setdefault(key, value)
    ensure_database(database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG off serves the manifest's names


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database of ``url`` if it does not exist (needs the server's ``postgres`` db)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def seed_catalog(now: Any) -> list[tuple[str, str, str, int, str, str, Decimal]]:
    """The malls and commodities every order names: (code, sku, name, type, site, mall, price) per commodity."""
    from mall.models import CatalogName, Commodity, Mall

    malls = {}
    for catalog in CATALOGS:
        for site, currency in SITES.items():
            code = f"MALL{catalog[:4]}{site}"
            malls[(catalog, site)] = code
            Mall.objects.update_or_create(
                mall_code=code,
                site_code=site,
                defaults={
                    "shop_code": f"SHOP{site}",
                    "currency": currency,
                    "catalog_code": catalog,
                    "synced_at": now,
                },
            )
    catalog = []
    for key, ctype, cat, zh, en, cn_cents, us_cents in PRODUCTS:
        for site in SITES:
            code, sku = f"CM{key.upper()}{site}", f"SKU{key.upper()}{site}"
            name = zh if site == "CN" else en
            Commodity.objects.update_or_create(
                commodity_code=code,
                defaults={
                    "sku_code": sku,
                    "title": name,
                    "commodity_type": ctype,
                    "service_code": key,
                    "synced_at": now,
                },
            )
            CatalogName.objects.get_or_create(commodity_code=code, sku_code=sku, name=name)
            cents = cn_cents if site == "CN" else us_cents
            catalog.append((code, sku, name, ctype, site, malls[(cat, site)], Decimal(cents) / 100))
    return catalog


def bench_client(username: str = "bench-admin") -> Any:
    """A test client logged in as a superuser, answering as ``testserver``.

    Without setup_test_environment(): that instruments every template render (a signal and a context copy per
    template) and would measure the test harness, not the pages."""
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.test import Client

    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # A superuser whatever the database held under that name: a plain one would add its permission queries.
    admin, _ = User.objects.update_or_create(
        username=username, defaults={"is_superuser": True, "is_staff": True, "is_active": True}
    )
    client = Client()
    client.force_login(admin)
    return client


def timed(fn: Callable[[], Any]) -> tuple[float, int]:
    """Seconds and queries of one call (after its ``prepare``, if it has one: see Side.call)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if prepare := getattr(fn, "prepare", None):
        prepare()
    with CaptureQueriesContext(connection) as ctx:
        t0 = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - t0
    return elapsed, len(ctx.captured_queries)


def get(client: Any, url: str, ok: tuple[int, ...] = (200,), **headers: str) -> Callable[[], Any]:
    """A call that fetches ``url`` whole and fails the benchmark on a status outside ``ok``."""

    def call() -> Any:
        response = client.get(url, headers=headers)
        if response.status_code not in ok or "/accounts/login/" in response.get("Location", ""):
            raise SystemExit(f"{url} answered {response.status_code} {response.get('Location', '')}")
        if not response.streaming:
            response.content  # noqa: B018 -- render it all
        return response

    return call


def interleaved(fns: dict[str, Callable[[], Any]], rounds: int) -> tuple[dict[str, float], dict[str, int]]:
    """Median milliseconds and queries per case: every case once per round, after one warming call each."""
    for fn in fns.values():
        timed(fn)
    runs: dict[str, list[float]] = {}
    queries: dict[str, int] = {}
    for _round in range(rounds):
        for key, fn in fns.items():
            elapsed, n = timed(fn)
            runs.setdefault(key, []).append(elapsed)
            queries[key] = n
    return {k: statistics.median(v) * 1000 for k, v in runs.items()}, queries


def captured(fn: Callable[[], Any]) -> list[dict[str, Any]]:
    """The SQL one call ran, as Django captured it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if prepare := getattr(fn, "prepare", None):
        prepare()
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return list(ctx.captured_queries)


def explain(fn: Callable[[], Any], table: str) -> str:
    """The plans of the SELECTs on ``table`` that one call ran."""
    from django.db import connection

    plans = []
    with connection.cursor() as cur:
        for q in captured(fn):
            if table in q["sql"] and q["sql"].lstrip().upper().startswith("SELECT"):
                cur.execute("EXPLAIN " + q["sql"])
                plans.append("\n".join(r[0] for r in cur.fetchall()))
    return "\n---\n".join(plans)


NEXT_LINK = re.compile(r'<a\b[^>]*\brel="next"[^>]*>', re.S)
HREF = re.compile(r'\bhref="([^"]*)"')


def next_href(html: str) -> str | None:
    """The pager's "next" link of a list page (the ``rel="next"`` anchor), unescaped, or None on the last page."""
    import html as htmllib

    found = NEXT_LINK.search(html)
    if found is None:
        return None
    href = HREF.search(found.group(0))
    return htmllib.unescape(href.group(1)) if href else None


def verdicts(targets: Iterable[tuple[str, bool]]) -> bool:
    """Print one PASS/FAIL line per target; True when all passed."""
    ok = True
    for label, passed in targets:
        print(f"  {'PASS' if passed else 'FAIL'}  {label}", flush=True)
        ok = ok and passed
    return ok


def two_sizes_parser(prog: str, rounds: int = 9) -> Any:
    """The arguments of a benchmark that sets the 10^4 data set beside the 10^6 one (bench.lookup, bench.pages)."""
    import argparse
    import os

    from bench.seed import BIG, SMALL

    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--small", default=os.environ.get("BENCH_SMALL_DATABASE_URL", SMALL))
    parser.add_argument("--big", default=os.environ.get("BENCH_DATABASE_URL", BIG))
    parser.add_argument("--small-devices", type=int, default=10_000)
    parser.add_argument("--devices", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=rounds)
    return parser


def two_sides(args: Any) -> dict[str, Side]:
    """Django on the big database, then each side seeded to its size: ``{"10^4": Side, "10^6": Side}``."""
    django_setup(args.big)
    from bench.seed import seed

    sides = {}
    for label, url, size in (("10^4", args.small, args.small_devices), ("10^6", args.big, args.devices)):
        sides[label] = Side(label, url)
        seed(size)
    return sides


class Side:
    """One database of a side-by-side run in one process: its connection, its cache keys and a logged-in client.

    Two data sets (10^4 and 10^6 rows) are measured round by round in one process: switching swaps the default
    connection and the cache's key prefix, so each side reads only its own rows and its own cached figures."""

    def __init__(self, label: str, database_url: str) -> None:
        import environ
        from django.db import connections

        ensure_database(database_url)
        self.label = label
        default = connections["default"]
        config = {**default.settings_dict, **environ.Env.db_url_config(database_url)}
        config["NAME"] = environ.Env.db_url_config(database_url)["NAME"]
        self.connection = default.__class__(config, "default")
        self.prefix = f"bench-{config['NAME']}"
        self.use()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        self.client = bench_client()

    def use(self) -> None:
        from django.core.cache import cache
        from django.db import connections

        connections["default"] = self.connection
        cache.key_prefix = self.prefix

    def clear_cache(self) -> None:
        """Forget this side's cached entries only (a cache.clear() would empty the other side's too)."""
        from django.core.cache import cache

        client = cache._cache.get_client(write=True)
        for key in client.scan_iter(match=f"{self.prefix}:*", count=1000):
            client.delete(key)

    def call(self, fn: Callable[[], Any]) -> Callable[[], Any]:
        """``fn``, marked to run on this side: timed() and captured() switch before they start counting."""

        def on_side() -> Any:
            return fn()

        on_side.prepare = self.use  # type: ignore[attr-defined]
        return on_side
