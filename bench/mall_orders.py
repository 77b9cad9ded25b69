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
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.common import django_setup

# As every benchmark runs: DEBUG off, Redis the cache, the database migrated with its cache table
# (bench/common.py BENCH_ENV). The database is DATABASE_URL's.
django_setup(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test"))

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.common import (  # noqa: E402
    SITES,
    STATUSES,
    WEIGHTS,
    bench_client,
    explain,
    get,
    interleaved,
    seed_catalog,
    timed,
)
from devices.models import Device, Home  # noqa: E402
from mall import selectors  # noqa: E402
from mall.models import Order  # noqa: E402
from mall.services.upsert import order_day_totals_rebuild, orders_upsert  # noqa: E402

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
    catalog = seed_catalog(now)
    done = Order.objects.count()
    print(f"seeding {n_orders - done} orders (have {done}) ...", flush=True)
    for start in range(done, n_orders, BATCH):
        batch = []
        for n in range(start, min(start + BATCH, n_orders)):
            code, sku, name, _type, site, mall, price = rng.choice(catalog)
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--devices", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--explain", action="store_true", help="print the query plans of our four cases")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("the benchmark runs on PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/test")
    if Order.objects.count() < args.orders:
        seed(args.orders, args.devices)
    client = bench_client()

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
    fns: dict[str, Callable[[], None]] = {}
    for name, (ours, theirs) in cases.items():
        fns[f"ours: {name}"] = get(client, ours)
        fns[f"admin: {name}"] = get(client, theirs)
    fns["sql: first page"] = bare_sql(None)
    fns["sql: page 10,000"] = bare_sql(deep_ours)
    med, queries = interleaved(fns, args.rounds)
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
            print(f"\n== plan: {name}\n{explain(get(client, ours), 'mall_order')}")


if __name__ == "__main__":
    main()
