"""Benchmark of the device page and the overview at 10^4 and at 10^6 rows: queries per page must not grow.

    python -m bench.pages [--small postgres://…/voipadmin_bench_small] [--big postgres://…/voipadmin_bench_big]

The device page is bench/seed.py's TARGET_DEVICE (1,000 orders, 200 audit rows at full size) with its mall
panel (the htmx fragment the page loads); the overview `/` is measured cold (cache cleared before each call)
and warm. Prints the median time and the queries of each at both sizes, side by side in one run.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any


def cold(fn: Callable[[], Any], side: Any) -> Callable[[], Any]:
    def call() -> Any:
        side.clear_cache()
        return fn()

    return call


def main() -> int:
    from bench.common import two_sides, two_sizes_parser

    args = two_sizes_parser("python -m bench.pages").parse_args()
    sides = two_sides(args)
    from bench.common import get, interleaved, verdicts
    from bench.seed import TARGET_DEVICE

    cases = {
        "device page": (f"/devices/{TARGET_DEVICE}/", False, {}),
        "its mall panel": (f"/mall/devices/{TARGET_DEVICE}/panel/", False, {"HX-Request": "true"}),
        "its orders (htmx)": (f"/mall/orders/?device={TARGET_DEVICE}", False, {"HX-Request": "true"}),
        "overview cold": ("/", True, {}),
        "overview warm": ("/", False, {}),
    }
    fns = {}
    for case, (url, clear, headers) in cases.items():
        for label, side in sides.items():
            fn = get(side.client, url, **headers)
            fns[f"{label}: {case}"] = side.call(cold(fn, side) if clear else fn)
    med, queries = interleaved(fns, args.rounds)
    print(f"\npages at 10^4 and 10^6 rows, median of {args.rounds} interleaved rounds (ms, queries)")
    print(f"{'page':18} {'10^4':>8} {'q':>3} {'10^6':>9} {'q':>3} {'10^6/10^4':>10}")
    targets = []
    for case in cases:
        small, big = med[f"10^4: {case}"], med[f"10^6: {case}"]
        qs, qb = queries[f"10^4: {case}"], queries[f"10^6: {case}"]
        print(f"{case:18} {small:8.1f} {qs:3d} {big:9.1f} {qb:3d} {big / small:9.2f}x")
        targets.append((f"{case}: the same queries at 10^4 and 10^6 ({qs} / {qb})", qs == qb))
    return 0 if verdicts(targets) else 1


if __name__ == "__main__":
    sys.exit(main())
