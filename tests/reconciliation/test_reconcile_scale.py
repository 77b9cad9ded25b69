"""Reconciliation at scale: several workers share a run, a killed worker loses nothing, WeChat's limits hold."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from devices.models import Device, ReconciliationChunk, ReconciliationRun
from devices.reconciliation import runs
from devices.reconciliation.apps import SCHEDULES
from devices.reconciliation.chunks import COUNT_KEYS, plan
from devices.reconciliation.runs import reconciliation_dispatch, reconciliation_execute, reconciliation_start
from devices.reconciliation.sweeper import SweepResult, reconciliation_sweep
from devices.reconciliation.tasks import queue_dispatch, queue_workers
from devices.services.sync import devices_sync
from voipadmin.core import ratelimit
from voipadmin.core.clients import WeChatClient
from voipadmin.core.clients.errors import WeChatRateLimited

sandboxed = pytest.mark.django_db(transaction=True)
LEASE_SECONDS = 4


def _flip(sandbox: Any, count: int) -> list[str]:
    return sandbox.control("POST", "wechat/flip", json={"count": count})["devices"]


def _wait(
    predicate: Callable[[], bool], timeout: float, every: float = 0.2, tick: Callable[[], Any] | None = None
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        if tick is not None:
            tick()
        time.sleep(every)
    return predicate()


def _state(run: ReconciliationRun) -> str:
    return ReconciliationRun.objects.values_list("state", flat=True).get(pk=run.pk)


def _assert_every_device_once(run: ReconciliationRun, sandbox: Any, disagreeing: set[str]) -> None:
    """Done, every device checked once, each drifted one written exactly once, counts = sum over chunks."""
    run.refresh_from_db()
    assert run.state == ReconciliationRun.State.SUCCEEDED, (run.state, run.errors)
    chunks = list(ReconciliationChunk.objects.filter(run=run))
    assert {c.state for c in chunks} == {"done"}
    planned = [d for c in chunks for d in c.device_ids]
    assert len(planned) == len(set(planned)) == run.counts["total"]
    voip = set(
        Device.objects.filter(voip_capable=True).exclude(wechat_model_id="").values_list("pk", flat=True)
    )
    assert set(planned) == voip
    for key in COUNT_KEYS[1:]:
        assert run.counts[key] == sum(int(c.counts.get(key) or 0) for c in chunks), key
    assert run.counts["checked"] == run.counts["total"]
    # One row per drifted device (rows are unique per run and device), each fixed once.
    rows = list(run.items.values_list("device_id", "outcome"))
    assert len(rows) == len({d for d, _ in rows}) == len(disagreeing)
    assert {d for d, _ in rows} == disagreeing and {o for _, o in rows} == {"fixed"}
    assert run.counts["drift_found"] == run.counts["fixed"] == len(disagreeing)
    assert run.counts["in_sync"] == len(voip) - len(disagreeing)
    stats = sandbox.stats()
    assert stats["save_wx_voip_auth"] == dict.fromkeys(sorted(disagreeing), 1)
    assert stats["auth_disagree"] == 0


# -- the limiter ------------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_limiter_admits_rate_calls_a_second_and_waits_for_the_next_window() -> None:
    now = [1000.25]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    for _ in range(3):
        assert ratelimit.acquire("t", 3, clock=lambda: now[0], sleep=sleep) == 0
    waited = ratelimit.acquire("t", 3, clock=lambda: now[0], sleep=sleep)
    assert len(slept) == 1 and 0.75 <= waited < 0.8 and int(now[0]) == 1001
    assert ratelimit.acquire("t", 0, clock=lambda: now[0], sleep=sleep) == 0  # no limit


# -- the sweeper, in process ------------------------------------------------------------------------------------
def test_the_sweeper_is_scheduled_every_minute() -> None:
    assert (
        "devices: reconciliation sweeper",
        "devices.reconciliation.tasks.reconciliation_sweep_task",
        60,
        {},
    ) in SCHEDULES


@sandboxed
def test_the_sweeper_frees_expired_leases_queues_workers_and_ends_done_runs(
    sandbox_settings: Any, sandbox_clean: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.RECONCILE_CHUNK_SIZE = 3
    devices_sync()
    disagreeing = set(sandbox_clean.stats()["auth_disagree_devices"])
    queued: list[int] = []

    def queue(run_id: int, n: int) -> None:
        queued.extend([run_id] * n)

    run = reconciliation_start(trigger="command")
    assert reconciliation_dispatch(run.pk, queue_workers=queue) == 2 and queued == [run.pk, run.pk]
    # A worker died holding the first chunk; another did the rest and left the run for the holder to end.
    first = ReconciliationChunk.objects.filter(run=run).order_by("seq").first()
    ReconciliationChunk.objects.filter(pk=first.pk).update(
        state="leased", lease_token="dead", lease_expires_at=timezone.now() + dt.timedelta(minutes=5)
    )
    assert reconciliation_execute(run_id=run.pk).state == "running"
    queued.clear()
    assert (
        reconciliation_sweep(queue_workers=queue, queue_dispatch=queued.append) == SweepResult()
    )  # a live lease is left alone
    ReconciliationChunk.objects.filter(pk=first.pk).update(
        lease_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )

    assert reconciliation_sweep(queue_workers=queue, queue_dispatch=queued.append) == SweepResult(
        freed=1, queued=1
    )
    assert queued == [run.pk] and ReconciliationChunk.objects.get(pk=first.pk).state == "pending"
    reconciliation_execute(run_id=run.pk)  # the queued worker
    _assert_every_device_once(run, sandbox_clean, disagreeing)

    # A run whose chunks are all done but which nobody ended (its last worker died after completing): ended.
    ReconciliationRun.objects.filter(pk=run.pk).update(state="running", finished_at=None)
    assert reconciliation_sweep(queue_workers=queue, queue_dispatch=queued.append) == SweepResult(finished=1)
    assert _state(run) == "succeeded"


# -- real worker processes --------------------------------------------------------------------------------------
@pytest.mark.slow
@sandboxed
def test_a_worker_killed_mid_run_loses_nothing_and_fixes_nothing_twice(
    sandbox_settings: Any, sandbox_clean: Any, settings: Any, worker_process: Any
) -> None:
    settings.RECONCILE_CHUNK_SIZE = 2
    settings.RECONCILE_LEASE_SECONDS = LEASE_SECONDS
    devices_sync()
    _flip(sandbox_clean, 6)
    disagreeing = set(sandbox_clean.stats()["auth_disagree_devices"])
    sandbox_clean.faults(latency_ms=120)
    env = {"RECONCILE_LEASE_SECONDS": str(LEASE_SECONDS), "RECONCILE_CHUNK_SIZE": "2"}
    first = worker_process(env=env)
    run = reconciliation_start(trigger="command")
    assert reconciliation_dispatch(run.pk, queue_workers=queue_workers) == 2
    chunks = ReconciliationChunk.objects.filter(run=run)
    assert chunks.count() >= 6

    def mid_chunk() -> bool:
        return chunks.filter(state="done").count() >= 2 and chunks.filter(state="leased").exists()

    assert _wait(mid_chunk, 60, every=0.05), first.output()[-3000:]
    first.kill()
    held = list(chunks.filter(state="leased").values_list("pk", flat=True))
    assert _state(run) == "running" and held

    # A new worker, and the sweeper (as beat would run it) handing over what the dead one held.
    second = worker_process(env=env)
    finished = _wait(
        lambda: _state(run) != "running",
        120,
        every=0.5,
        tick=lambda: reconciliation_sweep(queue_workers=queue_workers, queue_dispatch=queue_dispatch),
    )
    assert finished, second.output()[-3000:]
    _assert_every_device_once(run, sandbox_clean, disagreeing)
    # What the dead worker held was taken over by the new one.
    dead = f":{first.proc.pid}"
    for chunk in chunks.filter(pk__in=held):
        assert chunk.attempts >= 2 and not chunk.leased_by.endswith(dead)


@pytest.mark.slow
@sandboxed
def test_two_workers_share_one_run(
    sandbox_settings: Any, sandbox_clean: Any, settings: Any, worker_process: Any
) -> None:
    settings.RECONCILE_CHUNK_SIZE = 2
    settings.RECONCILE_WORKERS = 2
    devices_sync()
    _flip(sandbox_clean, 4)
    disagreeing = set(sandbox_clean.stats()["auth_disagree_devices"])
    sandbox_clean.faults(latency_ms=80)
    workers = [worker_process(), worker_process()]
    run = reconciliation_start(trigger="command")
    assert reconciliation_dispatch(run.pk, queue_workers=queue_workers) == 2

    finished = _wait(lambda: _state(run) != "running", 120, every=0.5)
    assert finished, "\n".join(w.output()[-2000:] for w in workers)
    _assert_every_device_once(run, sandbox_clean, disagreeing)
    by_worker = {}
    for name in ReconciliationChunk.objects.filter(run=run).values_list("leased_by", flat=True):
        by_worker[name] = by_worker.get(name, 0) + 1
    assert len(by_worker) == 2 and min(by_worker.values()) >= 1, by_worker
    pids = {str(w.proc.pid) for w in workers}
    assert {name.rsplit(":", 1)[1] for name in by_worker} == pids


# -- WeChat's limits --------------------------------------------------------------------------------------------
@pytest.mark.slow
@sandboxed
def test_workers_sharing_the_limiter_stay_under_wechats_calls_per_second(
    sandbox_settings: Any, sandbox_clean: Any, settings: Any
) -> None:
    settings.RECONCILE_CHUNK_SIZE = 1
    settings.WECHAT_QPS = 5
    devices_sync()
    disagreeing = set(sandbox_clean.stats()["auth_disagree_devices"])
    sandbox_clean.faults(wechat_qps=5)
    rate_limited: list[int] = []
    observe = WeChatClient.observe_authorization

    def counting(self: Any, *args: Any, **kw: Any) -> Any:
        try:
            return observe(self, *args, **kw)
        except WeChatRateLimited:
            rate_limited.append(1)
            raise

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(WeChatClient, "observe_authorization", counting)
        run = reconciliation_start(trigger="command")
        plan(run)
        assert ReconciliationChunk.objects.filter(run=run).count() >= 15  # > 3 s of calls at 5 a second
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                reconciliation_execute(run_id=run.pk)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert not errors
    _assert_every_device_once(run, sandbox_clean, disagreeing)
    assert not run.items.filter(outcome="failed").exists()
    assert not any("45011" in e for e in run.errors)
    # Three workers calling as fast as they can; the shared limiter kept them at 5 a second, with at most a
    # stray 45011 where our second and the sandbox's differ by a hair.
    assert len(rate_limited) <= 2


@sandboxed
def test_wechats_daily_quota_ends_the_run_partial_and_the_page_says_so(
    sandbox_settings: Any, sandbox_clean: Any, settings: Any, ops_client: Client
) -> None:
    settings.RECONCILE_CHUNK_SIZE = 5
    devices_sync()
    sandbox_clean.faults(wechat_daily_quota=2)
    run = reconciliation_start(trigger="command")
    plan(run)
    run = reconciliation_execute(run_id=run.pk)
    assert run.state == ReconciliationRun.State.PARTIAL
    assert run.counts["not_reached"] > 0 and run.counts["checked"] < run.counts["total"]
    html = ops_client.get(f"/reconciliation/{run.pk}/").content.decode()
    with translation.override("zh-hans"):
        label = gettext("partial")
    assert 'class="badge badge-warn"' in html and (label in html or "partial" in html)
    assert "quota" in html


@sandboxed
def test_a_chunk_finished_after_a_quota_stop_is_added_to_the_ended_runs_counts(
    sandbox_settings: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Worker A ends the run on WeChat's daily quota while worker B is inside a chunk: B's chunk still counts."""
    settings.RECONCILE_CHUNK_SIZE = 5
    devices_sync()
    run = reconciliation_start(trigger="command")
    plan(run)
    real = runs.process_chunk
    stopped: list[int] = []

    def process_while_the_other_worker_stops(ctx: Any, chunk: Any, final_attempt: bool) -> dict[str, int]:
        counts = real(ctx, chunk, final_attempt)
        if not stopped:  # the other worker's quota stop lands while this chunk is still leased
            stopped.append(chunk.pk)
            runs.finish(run, stop="WeChat's daily quota is used up")
        return counts

    monkeypatch.setattr(runs, "process_chunk", process_while_the_other_worker_stops)
    run = reconciliation_execute(run_id=run.pk)

    assert run.state == ReconciliationRun.State.PARTIAL
    chunks = list(ReconciliationChunk.objects.filter(run=run))
    done = [c for c in chunks if c.state == "done"]
    assert [c.pk for c in done] == stopped  # this worker stopped claiming once the run had ended
    assert run.counts["checked"] == done[0].counts["checked"] > 0
    for key in COUNT_KEYS[1:]:
        assert run.counts[key] == sum(int(c.counts.get(key) or 0) for c in done), key
    assert run.counts["not_reached"] == sum(len(c.device_ids) for c in chunks if c.state != "done")
    assert run.counts["checked"] + run.counts["not_reached"] == run.counts["total"]
