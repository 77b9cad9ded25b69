"""Benchmark of /mall/orders/ on PostgreSQL with a million orders (a benchmark, not a timed test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python -m bench.mall_orders [--orders 1000000]

Seeds the database through the sync's own upsert code (mall.services.upsert) unless it already holds the
orders, then measures in one run, interleaved round by round, the median server time of four cases of
/mall/orders/ against Django admin's changelist of the same model (same list_display, list_filter and
search_fields) and against the bare SQL of one indexed page. Prints the ratios and queries per page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voipadmin.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from devices.models import Device, Home  # noqa: E402
from mall import selectors  # noqa: E402
from mall.models import CatalogName, Commodity, Mall, Order  # noqa: E402
from mall.services.upsert import order_day_totals_rebuild, orders_upsert  # noqa: E402

SITES = {"CN": "CNY", "US": "USD"}
CATALOGS = ["VOIP", "CLOUD_STORAGE", "AI"]
PRODUCTS = [  # (key, type, catalog, zh name, en name, cents CN, cents US)
    ("voip-basic", 1, "VOIP", "微信视频通话(VoIP)", "WeChat video call (VoIP)", 990, 199),
    ("voip-family", 1, "VOIP", "微信视频通话 家庭版", "WeChat video call Family", 16800, 3499),
    ("cloud-7day", 0, "CLOUD_STORAGE", "7 天事件云存储", "7-day event cloud storage", 1500, 299),
    ("cloud-30day", 0, "CLOUD_STORAGE", "30 天全天候云存储", "30-day continuous cloud storage", 4500, 699),
    ("ai-detect", 2, "AI", "AI 智能识别", "AI detection", 600, 99),
]
STATUSES = [
    "created",
    "pending_audit_paid",
    "paying",
    "paid",
    "delivering",
    "delivered",
    "part_delivered",
    "finished",
    "canceled",
    "closed",
    "refunded",
]
WEIGHTS = [6, 1, 2, 10, 2, 3, 1, 55, 8, 7, 5]
BATCH = 5000


def seed(n_orders: int, n_devices: int) -> None:
    rng = random.Random(42)
    now = timezone.now()
    started = time.monotonic()
    homes = [Home(owner_id=f"bh{i:07d}", name=f"Home {i}", synced_at=now) for i in range(n_devices // 2)]
    Home.objects.bulk_create(homes, ignore_conflicts=True, batch_size=5000)
    devices = [
        Device(device_id=f"bdev{i:08d}", home_id=f"bh{i // 2:07d}", name=f"Doorbell {i}", synced_at=now)
        for i in range(n_devices)
    ]
    Device.objects.bulk_create(devices, ignore_conflicts=True, batch_size=5000)
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
    done = Order.objects.count()
    print(f"seeding {n_orders - done} orders (have {done}) ...", flush=True)
    for start in range(done, n_orders, BATCH):
        batch = []
        for n in range(start, min(start + BATCH, n_orders)):
            code, sku, name, ctype, site, mall, price = rng.choice(catalog)
            created = now - dt.timedelta(
                seconds=rng.randrange(1, 365 * 86400), milliseconds=rng.randrange(1000)
            )
            device = rng.randrange(n_devices)
            batch.append(
                {
                    "order_id": f"{int(created.timestamp() * 1000)}{n:07d}",
                    "mall_code": mall,
                    "shop_code": f"SHOP{site}",
                    "site_code": site,
                    "currency": SITES[site],
                    "amount_origin": price,
                    "amount_trade": price,
                    "status": rng.choices(STATUSES, WEIGHTS)[0],
                    "order_type_code": "NORMAL",
                    "trade_type": "JSAPI",
                    "total_quantity": 1,
                    "created_at": created,
                    "cloud_modified_at": created,
                    "device_id": f"bdev{device:08d}",
                    "home_id": f"bh{device // 2:07d}",
                    "synced_at": now,
                    "lines": [
                        {
                            "commodity_code": code,
                            "commodity_name": name,
                            "commodity_type": 5,
                            "sku_code": sku,
                            "srv_code": code,
                            "period_unit": 2,
                            "period_value": 1,
                            "quantity": 1,
                            "unit_price_origin": price,
                            "unit_price_trade": price,
                        }
                    ],
                }
            )
        orders_upsert(orders=batch)
        if (start // BATCH) % 20 == 0:
            print(f"  {start + len(batch)} orders, {time.monotonic() - started:.0f} s", flush=True)
    print("daily totals ...", flush=True)
    order_day_totals_rebuild()
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE mall_order")
        cur.execute("VACUUM ANALYZE mall_orderline")
        cur.execute("VACUUM ANALYZE mall_orderdaytotal")
    print(f"seeded in {time.monotonic() - started:.0f} s", flush=True)


def timed(fn: Callable[[], Any]) -> tuple[float, int]:
    with CaptureQueriesContext(connection) as ctx:
        t0 = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - t0
    return elapsed, len(ctx.captured_queries)


def get(client: Client, url: str) -> Callable[[], None]:
    def call() -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        if not response.streaming:
            response.content  # noqa: B018 -- render it all

    return call


def bare_sql(deep: Order | None) -> Callable[[], None]:
    sql = "SELECT order_id, created_at, status, amount_trade, currency FROM mall_order"
    params: list[Any] = []
    if deep is not None:
        sql += " WHERE (created_at, order_id) < (%s, %s)"
        params = [deep.created_at, deep.order_id]
    sql += " ORDER BY created_at DESC, order_id DESC LIMIT 51"

    def call() -> None:
        with connection.cursor() as cur:
            cur.execute(sql, params)
            cur.fetchall()

    return call


def explain(sql_fn: Callable[[], Any]) -> str:
    with CaptureQueriesContext(connection) as ctx:
        sql_fn()
    plans = []
    with connection.cursor() as cur:
        for q in ctx.captured_queries:
            if "mall_order" in q["sql"] and q["sql"].lstrip().upper().startswith("SELECT"):
                cur.execute("EXPLAIN " + q["sql"])
                plans.append("\n".join(r[0] for r in cur.fetchall()))
    return "\n---\n".join(plans)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--devices", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--explain", action="store_true", help="print the query plans of our four cases")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("the benchmark runs on PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/test")
    call_command("migrate", verbosity=0)
    if Order.objects.count() < args.orders:
        seed(args.orders, args.devices)
    # The test client's host, without setup_test_environment(): that instruments every template render
    # (a signal and a context copy per template) and would measure the test harness, not the pages.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    admin, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client()
    client.force_login(admin)

    # Page 10,000 of each list at its own page size (or its last page, on a smaller seed).
    total = Order.objects.count()
    per_ours, per_admin = selectors.PER_PAGE, 100
    deep_page = min(10_000, total // per_ours - 1)
    admin_page = min(10_000, total // per_admin)
    deep_ours = Order.objects.order_by("-created_at", "-order_id")[per_ours * (deep_page - 1) - 1]
    cursor = selectors.order_cursor_at(deep_ours)
    print(f"deep page: ours {deep_page:,} (by cursor), admin {admin_page:,} (by ?p=)")
    both = "status=paid&status=refunded"
    cases = {
        "first page": ("/mall/orders/", "/admin/mall/order/"),
        "page 10,000": (f"/mall/orders/?cursor={cursor}", f"/admin/mall/order/?p={admin_page}"),
        "two statuses": (f"/mall/orders/?{both}", "/admin/mall/order/?status__in=paid,refunded"),
        "two statuses + search": (
            f"/mall/orders/?{both}&q=%E9%80%9A%E8%AF%9D",
            "/admin/mall/order/?status__in=paid,refunded&q=%E9%80%9A%E8%AF%9D",
        ),
    }
    runs: dict[str, list[float]] = {}
    queries: dict[str, int] = {}
    fns: dict[str, Callable[[], None]] = {}
    for name, (ours, theirs) in cases.items():
        fns[f"ours: {name}"] = get(client, ours)
        fns[f"admin: {name}"] = get(client, theirs)
    fns["sql: first page"] = bare_sql(None)
    fns["sql: page 10,000"] = bare_sql(deep_ours)
    for fn in fns.values():  # warm caches and connections once
        fn()
    for _round in range(args.rounds):
        for key, fn in fns.items():
            elapsed, n = timed(fn)
            runs.setdefault(key, []).append(elapsed)
            queries[key] = n
    med = {k: statistics.median(v) * 1000 for k, v in runs.items()}
    print(
        f"\n/mall/orders/ vs admin changelist, {Order.objects.count():,} orders, median of {args.rounds} (ms)"
    )
    print(f"{'case':26} {'ours':>9} {'q':>3} {'admin':>10} {'q':>3} {'admin/ours':>11}")
    for name in cases:
        o, a = med[f"ours: {name}"], med[f"admin: {name}"]
        print(
            f"{name:26} {o:9.1f} {queries['ours: ' + name]:3d} {a:10.1f} {queries['admin: ' + name]:3d}"
            f" {a / o:10.1f}x"
        )
    print(f"{'bare SQL first page':26} {med['sql: first page']:9.2f}")
    print(f"{'bare SQL page 10,000':26} {med['sql: page 10,000']:9.2f}")
    p1, p10k = med["ours: first page"], med["ours: page 10,000"]
    print(f"\npage 10,000 / page 1 (ours): {p10k / p1:.2f}  (target <= 1.2)")
    targets = [
        ("first page >= 10x admin", med["admin: first page"] / p1 >= 10),
        ("page 10,000 >= 20x admin", med["admin: page 10,000"] / p10k >= 20),
        (
            "two statuses + search >= 20x admin",
            med["admin: two statuses + search"] / med["ours: two statuses + search"] >= 20,
        ),
        ("page 10,000 within 1.2x of page 1", p10k / p1 <= 1.2),
    ]
    for label, ok in targets:
        print(f"  [{'ok' if ok else 'MISSED'}] {label}")
    totals_time, totals_q = timed(get(client, "/mall/orders/totals/?status=paid&status=refunded"))
    print(f"totals fragment (summary rows, cold cache): {totals_time * 1000:.1f} ms, {totals_q} queries")
    if args.explain:
        for name, (ours, _theirs) in cases.items():
            print(f"\n== plan: {name}\n{explain(get(client, ours))}")


if __name__ == "__main__":
    main()
