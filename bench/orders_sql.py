"""Benchmark of /mall/orders/: the page's server time against the bare time of the SQL it runs.

    python -m bench.orders_sql [--database postgres://…/voipadmin_bench_big] [--profile]

For each case the page is fetched, its SQL captured, and every SELECT it ran is run again alone (same SQL, same
parameters) on the same connection; all are medians of interleaved rounds. The ratio page / all of its SQL run
bare is what Python and the templates cost per page (target <= 8x); the page against the list's own SQL alone is
printed beside it. ``--profile`` prints cProfile's top functions of
the first page's render (cumulative time), the view's own Python included.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
from collections.abc import Callable

from bench.seed import BIG


def bare(statements: list[str]) -> Callable[[], None]:
    def call() -> None:
        from django.db import connection

        with connection.cursor() as cur:
            for sql in statements:
                cur.execute(sql)
                if cur.description is not None:
                    cur.fetchall()

    return call


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.orders_sql")
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", BIG))
    parser.add_argument("--devices", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    from bench.common import django_setup

    django_setup(args.database)
    from bench.common import bench_client, captured, get, interleaved, verdicts
    from bench.seed import TARGET_DEVICE, seed

    seed(args.devices)
    client = bench_client()
    cases = {
        "first page": ("/mall/orders/", {}),
        "first page (htmx)": ("/mall/orders/", {"HX-Request": "true"}),
        "two statuses (htmx)": ("/mall/orders/?status=paid&status=refunded", {"HX-Request": "true"}),
        "a device's (htmx)": (f"/mall/orders/?device={TARGET_DEVICE}", {"HX-Request": "true"}),
    }
    fns = {}
    for name, (url, headers) in cases.items():
        page = get(client, url, **headers)
        page()
        # Every SELECT the page ran (session, user, role, bell, saved views, the list, its total), and the list's
        # own among them; a write the page made (a session's "last seen", once a minute) is not replayed.
        selects = [q["sql"] for q in captured(page) if q["sql"].lstrip().upper().startswith("SELECT")]
        fns[f"page: {name}"] = page
        fns[f"sql: {name}"] = bare(selects)
        fns[f"list sql: {name}"] = bare([sql for sql in selects if "mall_order" in sql])
    med, queries = interleaved(fns, args.rounds)
    print(f"\n/mall/orders/ against its bare SQL, median of {args.rounds} interleaved rounds (ms)")
    print(
        f"{'case':22} {'page':>8} {'q':>3} {'all SQL':>8} {'q':>3} {'page/SQL':>9} {'list SQL':>9} {'page/list':>10}"
    )
    targets = []
    for name in cases:
        page, sql, own = med[f"page: {name}"], med[f"sql: {name}"], med[f"list sql: {name}"]
        print(
            f"{name:22} {page:8.1f} {queries['page: ' + name]:3d} {sql:8.2f} {queries['sql: ' + name]:3d}"
            f" {page / sql:8.1f}x {own:9.2f} {page / own:9.1f}x"
        )
        targets.append(
            (f"{name}: page within 8x of all its SQL run bare ({page / sql:.1f}x)", page / sql <= 8)
        )
    if args.profile:
        profile = cProfile.Profile()
        page = get(client, "/mall/orders/")
        profile.enable()
        for _ in range(20):
            page()
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(35)
        print(f"\ncProfile, 20 renders of /mall/orders/ (cumulative):\n{out.getvalue()}")
    return 0 if verdicts(targets) else 1


if __name__ == "__main__":
    sys.exit(main())
