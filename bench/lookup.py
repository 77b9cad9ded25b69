"""Benchmark of the support lookup (/search/?q=) at 10^4 and at 10^6 rows, side by side in one run.

    python -m bench.lookup [--small postgres://…/voipadmin_bench_small] [--big postgres://…/voipadmin_bench_big]

Both databases are seeded by bench/seed.py when they lack their sizes. Each round asks both of an exact device
id, an exact order id, an openId and a name; an exact id answers with the redirect to its page (timed as such).
Target: every case at 10^6 within 1.5x of the same case at 10^4, and the name's matches read from each table's
``*_name_key`` index in the page's order (EXPLAIN shows no Sort), so the time does not hang on the statistics.
"""

from __future__ import annotations

import sys
from urllib.parse import quote

from bench.seed import TARGET_DEVICE


def main() -> int:
    from bench.common import two_sides, two_sizes_parser

    args = two_sizes_parser("python -m bench.lookup").parse_args()
    sides = two_sides(args)
    from mall.models import Order

    orders = {}
    for label, side in sides.items():
        side.use()
        orders[label] = Order.objects.filter(device_id=TARGET_DEVICE).values_list("pk", flat=True).first()
    from bench.common import get, interleaved, verdicts
    from bench.seed import device_id, open_id

    cases = {
        "device id": lambda order: f"/search/?q={device_id(4242)}",
        "order id": lambda order: f"/search/?q={order}",
        "openId": lambda order: f"/search/?q={open_id(42)}",
        "name 王伟": lambda order: f"/search/?q={quote('王伟')}",
    }
    fns = {}
    for case, url in cases.items():
        for label, side in sides.items():
            fns[f"{label}: {case}"] = side.call(get(side.client, url(orders[label]), ok=(200, 302)))
    med, queries = interleaved(fns, args.rounds)
    print(f"\n/search/?q= at 10^4 and 10^6 rows, median of {args.rounds} interleaved rounds (ms)")
    print(f"{'case':12} {'10^4':>8} {'q':>3} {'10^6':>9} {'q':>3} {'10^6/10^4':>10}")
    targets = []
    for case in cases:
        small, big = med[f"10^4: {case}"], med[f"10^6: {case}"]
        print(
            f"{case:12} {small:8.1f} {queries['10^4: ' + case]:3d} {big:9.1f} {queries['10^6: ' + case]:3d}"
            f" {big / small:9.2f}x"
        )
        targets.append(
            (f"lookup by {case}: 10^6 within 1.5x of 10^4 ({big / small:.2f}x)", big / small <= 1.5)
        )
    sides["10^6"].use()
    plans = name_plans(sides["10^6"].call(get(sides["10^6"].client, cases["name 王伟"](None))))
    for table, plan in plans.items():
        print(f"\nEXPLAIN of the name query on {table} at 10^6:\n{plan}")
        targets.append((f"name 王伟 on {table}: read in order from {table}'s name key", in_key_order(plan)))
    return 0 if verdicts(targets) else 1


NAME_TABLES = ("devices_device", "devices_home", "devices_clouduser")


def name_plans(fn) -> dict[str, str]:
    """The plan of each table's name query (its ``LIKE UPPER``) that one search ran."""
    from django.db import connection

    from bench.common import captured

    plans = {}
    with connection.cursor() as cur:
        for q in captured(fn):
            table = next((t for t in NAME_TABLES if f'FROM "{t}"' in q["sql"]), None)
            if table and "LIKE UPPER" in q["sql"]:
                cur.execute("EXPLAIN " + q["sql"])
                plans[table] = "\n".join(r[0] for r in cur.fetchall())
    return plans


def in_key_order(plan: str) -> bool:
    return "_name_key" in plan and "Sort" not in plan


if __name__ == "__main__":
    sys.exit(main())
