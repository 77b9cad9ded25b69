"""Benchmark of the devices sync and of reconciliation over a sandbox of 10^5 devices (a benchmark, not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/voipadmin_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/14 \
        python -m bench.reconcile [--devices 100000] [--qps 5] [--workers 2]

Starts its own sandbox (``python -m sandbox``) seeded with ``--devices`` devices and, in one run:

1. Sync against download. The time to merely download every page a full devices sync reads (listHomes, each
   home's getDeviceList, each device's details, on the sync's own threads, nothing stored) is measured before
   and after a full sync into an empty mirror; prints the sync's wall time as a multiple of the download's.
2. Reconciliation on ``--workers`` real ``celery worker`` processes sharing one run through the broker, with
   the sandbox's ``wechat_qps`` fault and ``WECHAT_QPS`` set to ``--qps``; prints WeChat observation calls per
   second as a share of that limit, the 45011 answers, and the run's counts.

The database named in DATABASE_URL is created when missing; its device mirror and reconciliation runs are
emptied first. Use a database of its own: not the one ``bench.mall_orders`` seeds.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import django_setup


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reconcile")
    parser.add_argument("--devices", type=int, default=100_000, help="devices in the sandbox")
    parser.add_argument("--qps", type=int, default=5, help="WeChat observation calls per second allowed")
    parser.add_argument("--workers", type=int, default=2, help="celery worker processes sharing the run")
    parser.add_argument("--skip-sync", action="store_true", help="reuse the mirror of an earlier run")
    args = parser.parse_args(argv)

    db_url = os.environ.get("DATABASE_URL", "")
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not db_url.startswith("postgres") or not broker.startswith("redis://"):
        print(
            "bench.reconcile needs DATABASE_URL=postgres://… and CELERY_BROKER_URL=redis://…", file=sys.stderr
        )
        return 2
    from tests.fixtures.sandbox import start_sandbox

    homes = max(1, args.devices // 2)
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="voipadmin-bench-") as tmp,
        start_sandbox(
            Path(tmp), homes=homes, devices_per_home=2, orders=0, subscriptions=0, timeout=900
        ) as box,
    ):
        world = box.stats()
        print(
            f"sandbox: {world['devices']:,} devices ({world['voip_devices']:,} with VoIP, "
            f"{world['auth_disagree']:,} in drift) in {homes:,} homes, seeded in {time.monotonic() - started:.0f} s",
            flush=True,
        )
        os.environ.update(
            {
                "CLOUD_BASE_URL": box.url,
                "WECHAT_BASE_URL": box.url,
                "CLOUD_CLIENT_ID": box.client_id,
                "CLOUD_CLIENT_SECRET": box.client_secret,
                "WECHAT_QPS": str(args.qps),
                "RECONCILE_WORKERS": str(args.workers),
                "VOIPADMIN_CELERY_DIR": str(Path(tmp) / "celery"),
                # The cache (WeChat's rate limit, the run's locks) on the broker's database, flushed below.
                "REDIS_URL": broker,
            }
        )
        # As every benchmark runs, DEBUG off (it would keep every query of the pass); the workers inherit it.
        django_setup(db_url)
        _flush_broker(broker)
        if not args.skip_sync:
            _bench_sync()
        _bench_reconcile(box, args.qps, args.workers, Path(tmp))
    return 0


def _flush_broker(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


# -- 1. sync against download ------------------------------------------------------------------------------------
def download_only(threads: int) -> dict[str, int]:
    """Every page a full devices sync reads, on the same threads, storing nothing."""
    from devices.services import sync
    from voipadmin.core.clients import CloudClient

    client = CloudClient.from_settings()
    owners: list[str] = []
    page_no = 1
    while True:
        page = client.list_homes(page_no=page_no, page_size=sync.PAGE_SIZE)
        owners += [home.owner_id for home in page]
        if not page.has_next or not page.items:
            break
        page_no += 1
    with ThreadPoolExecutor(max_workers=threads) as pool:
        device_ids = [d.id for items in pool.map(client.get_device_list, owners) for d in items]
        for _details in pool.map(lambda d: sync.fetch_details(client, d), device_ids):
            pass
    return {"homes": len(owners), "devices": len(device_ids), **client.stats()}


def _bench_sync() -> None:
    from devices.models import Device, Home
    from devices.services import sync
    from voipadmin.core.models import SyncRun

    def empty_mirror() -> None:
        Device.objects.all().delete()
        Home.objects.all().delete()
        SyncRun.objects.filter(kind=SyncRun.Kind.DEVICES).delete()

    empty_mirror()
    timings: dict[str, float] = {}
    calls: dict[str, int] = {}
    for label in ("download", "sync", "download again"):
        started = time.monotonic()
        if label == "sync":
            run = sync.devices_sync(full=True, trigger="command")
            counts = run.counts
            assert run.state == SyncRun.State.SUCCEEDED, (run.state, run.errors[:3])
        else:
            counts = download_only(sync.DETAIL_THREADS)
        timings[label] = time.monotonic() - started
        calls[label] = counts.get("cloud_calls", 0)
        print(f"  {label:<15} {timings[label]:8.1f} s   {calls[label]:>9,} cloud calls", flush=True)
    download = min(timings["download"], timings["download again"])
    print(
        f"sync: {Device.objects.count():,} devices mirrored; full sync {timings['sync']:.1f} s vs download "
        f"{download:.1f} s = {timings['sync'] / download:.2f}x (target <= 1.5x)",
        flush=True,
    )


# -- 2. reconciliation on several workers --------------------------------------------------------------------------
def _bench_reconcile(box, qps: int, workers: int, tmp: Path) -> None:
    from django.db import close_old_connections

    from devices.models import ReconciliationRun
    from devices.reconciliation.runs import reconciliation_dispatch, reconciliation_start
    from devices.reconciliation.tasks import queue_workers

    ReconciliationRun.objects.all().delete()
    from tests.fixtures.celery import spawn_worker

    box.faults(wechat_qps=qps)
    procs = [spawn_worker(f"bench{n}", os.environ.copy(), tmp / f"worker-{n}.log") for n in range(workers)]
    try:
        before = box.stats()
        run = reconciliation_start(trigger="command")
        queued = reconciliation_dispatch(run.pk, workers=workers, queue_workers=queue_workers)
        print(f"reconciliation: run {run.pk}, {queued} worker task(s) queued, WECHAT_QPS={qps}", flush=True)
        last = 0.0
        while True:
            close_old_connections()
            run.refresh_from_db()
            if run.state != ReconciliationRun.State.RUNNING:
                break
            if any(w.proc.poll() is not None for w in procs):
                raise SystemExit("a worker died:\n" + "\n".join(w.output()[-2000:] for w in procs))
            if time.monotonic() - last > 30:
                last = time.monotonic()
                print(
                    f"  … {run.counts.get('checked', 0):,} / {run.counts.get('total', 0):,} checked",
                    flush=True,
                )
            time.sleep(1)
        after = box.stats()
    finally:
        for worker in procs:
            worker.stop()
    seconds = (run.finished_at - run.started_at).total_seconds()
    observed = after["faults"]["wechat_calls_today"] - before["faults"]["wechat_calls_today"]
    # The limit is kept per wall-clock second: the run could have made qps calls in every second it touched.
    windows = int(run.finished_at.timestamp()) - int(run.started_at.timestamp()) + 1
    share = observed / (qps * windows)
    c = run.counts
    leased_by = sorted(set(run.chunks.values_list("leased_by", flat=True)))
    print(
        f"reconciliation: {run.state} in {seconds:.1f} s; {c.get('checked', 0):,} of {c.get('total', 0):,} "
        f"devices checked, {c.get('drift_found', 0):,} in drift, {c.get('fixed', 0):,} fixed, "
        f"{c.get('failed', 0):,} failed; saveWXVoipAuth {after['save_wx_voip_auth_total'] - before['save_wx_voip_auth_total']:,}",
        flush=True,
    )
    print(
        f"  chunks by {len(leased_by)} worker(s): {', '.join(leased_by)}; the run counts "
        f"{c.get('wechat_calls', 0):,} WeChat and {c.get('cloud_calls', 0):,} cloud calls"
    )
    failed_45011 = run.items.filter(detail__contains="45011").count()
    print(
        f"WeChat: {observed:,} observation calls in {seconds:.1f} s ({windows} one-second windows) = "
        f"{observed / seconds:.2f}/s with {qps}/s allowed: {share:.1%} of the limit (target >= 90 %); "
        f"devices failed with 45011: {failed_45011}",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
