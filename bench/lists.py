"""Benchmark of /devices/, /homes/ and /audit/ against Django admin's changelists of the same models.

    python -m bench.lists [--database postgres://…/voipadmin_bench_big] [--devices 1000000]

Seeds the data set once (bench/seed.py), then measures in one run, interleaved round by round, the median server
time of four cases per list — the first page, a deep page, two filters — for our page and for the admin's
changelist (devices/admin.py, voipadmin/core/admin.py: same columns, filters and search). Our deep page is the
one the pager's "next" link leads to after as many pages: its cursor is made by the list's own keyset from the
row that ends the page before. The admin's deep page is the one at the same depth in rows. Prints PASS/FAIL lines for the targets and the plans
of our deep pages' SQL.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from bench.seed import BIG


def deep_url(first: str, keyset: Any, model: Any, page: int, per_page: int) -> str:
    """The URL of page ``page`` as the list's own "next" link names it: a cursor just after the row that ends
    the page before (found once with OFFSET here, outside the measurement; the page itself never uses one)."""
    from django.db.models import F

    order = [
        F(f.lstrip("-")).desc() if f.startswith("-") else F(f).asc(nulls_last=True) for f in keyset.order
    ]
    row = keyset.keyed(model.objects.all()).order_by(*order)[(page - 1) * per_page - 1]
    return f"{first}?{urlencode({'cursor': keyset.cursor_at(row)})}"


def no_offset_index_scan(fn: Callable[[], Any], table: str) -> tuple[bool, str]:
    """Whether every SELECT of ``table`` the call ran is free of OFFSET and uses an index; and the plans."""
    from bench.common import captured

    plans = explain_all(fn, table)
    sqls = [q["sql"] for q in captured(fn) if table in q["sql"]]
    ok = (
        bool(plans)
        and all(" OFFSET " not in sql.upper() for sql in sqls)
        and all("Index" in p for p in plans)
    )
    return ok, "\n---\n".join(plans)


def explain_all(fn: Callable[[], Any], table: str) -> list[str]:
    from bench.common import explain

    text = explain(fn, table)
    return [p for p in text.split("\n---\n") if p]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lists")
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", BIG))
    parser.add_argument(
        "--devices", type=int, default=1_000_000, help="devices in the data set (seeded once)"
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--deep", type=int, default=10_000, help="our deep page's number")
    parser.add_argument("--only", choices=["devices", "homes", "audit"], action="append")
    args = parser.parse_args()

    from bench.common import django_setup

    django_setup(args.database)
    from django.conf import settings
    from django.db import connection

    from bench.common import bench_client, get, interleaved, verdicts
    from bench.seed import Sizes, seed
    from devices.models import Device, Home
    from devices.selectors import DEVICE_PAGES, HOME_PAGES
    from voipadmin.core.keyset import PER_PAGE
    from voipadmin.core.models import AuditEvent
    from voipadmin.core.selectors import AUDIT_PAGES

    if connection.vendor != "postgresql" or settings.DEBUG:
        sys.exit("bench.lists runs on PostgreSQL with DEBUG off (DATABASE_URL=postgres://…, DEBUG=false)")
    seed(args.devices)
    sizes = Sizes(args.devices)
    client = bench_client()

    admin_per = 100
    lists = {
        "devices": {
            "ours": "/devices/",
            "admin": "/admin/devices/device/",
            "rows": sizes.devices,
            "table": "devices_device",
            "keyset": (DEVICE_PAGES, Device),
            "filters": {
                "VoIP capable": ("?voip=yes", "?voip_capable__exact=1"),
                "service type AI": ("?vas_type=2", "?vas_type_rows__vas_type=2"),
            },
        },
        "homes": {
            "ours": "/homes/",
            "admin": "/admin/devices/home/",
            "rows": sizes.homes,
            "table": "devices_home",
            "keyset": (HOME_PAGES, Home),
            "filters": {
                "home id": ("?q=vh0123456", "?q=vh0123456"),
                "name 王伟": ("?q=%E7%8E%8B%E4%BC%9F", "?q=%E7%8E%8B%E4%BC%9F"),
            },
        },
        "audit": {
            "ours": "/audit/",
            "admin": "/admin/voipadmin/auditevent/",
            "rows": sizes.audit,
            "table": "voipadmin_auditevent",
            "keyset": (AUDIT_PAGES, AuditEvent),
            "filters": {
                "result failed": ("?result=failed", "?result__exact=failed"),
                "fix + unknown": (
                    "?action=reconcile_fix&result=unknown",
                    "?action__exact=reconcile_fix&result__exact=unknown",
                ),
            },
        },
    }
    all_ok = True
    for name, spec in lists.items():
        if args.only and name not in args.only:
            continue
        deep = min(args.deep, spec["rows"] // PER_PAGE - 1)
        admin_deep = max(1, deep * PER_PAGE // admin_per)
        ours_deep = deep_url(spec["ours"], *spec["keyset"], deep, PER_PAGE)
        print(f"\n{name}: {spec['rows']:,} rows; deep page {deep:,} at {ours_deep}; admin ?p={admin_deep:,}")
        cases = {
            "first page": (spec["ours"], spec["admin"]),
            f"page {deep:,}": (ours_deep, f"{spec['admin']}?p={admin_deep}"),
            **{label: (spec["ours"] + o, spec["admin"] + a) for label, (o, a) in spec["filters"].items()},
        }
        fns = {}
        for label, (ours, theirs) in cases.items():
            fns[f"ours: {label}"] = get(client, ours)
            fns[f"admin: {label}"] = get(client, theirs)
        med, queries = interleaved(fns, args.rounds)
        print(f"median of {args.rounds} interleaved rounds (ms)")
        print(f"{'case':24} {'ours':>9} {'q':>3} {'admin':>10} {'q':>3} {'admin/ours':>11}")
        for label in cases:
            o, a = med[f"ours: {label}"], med[f"admin: {label}"]
            print(
                f"{label:24} {o:9.1f} {queries['ours: ' + label]:3d} {a:10.1f} {queries['admin: ' + label]:3d}"
                f" {a / o:10.1f}x"
            )
        first, deep_ms = med["ours: first page"], med[f"ours: page {deep:,}"]
        plan_ok, plans = no_offset_index_scan(get(client, ours_deep), spec["table"])
        all_ok &= verdicts(
            [
                (f"{name}: first page >= 10x admin", med["admin: first page"] / first >= 10),
                (f"{name}: page {deep:,} >= 20x admin", med[f"admin: page {deep:,}"] / deep_ms >= 20),
                (
                    f"{name}: page {deep:,} within 1.5x of page 1 ({deep_ms / first:.2f}x)",
                    deep_ms / first <= 1.5,
                ),
                (f"{name}: deep page's plan: index scans, no OFFSET", plan_ok),
            ]
        )
        print(f"plan of {name} page {deep:,}:\n{plans}")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
