"""A killed worker loses no sync pass: its message is redelivered, the dead pass ended, the pass redone.

The pool process running a devices pass is SIGKILLed mid-pass (a real ``celery worker`` with a prefork pool, on
the configured broker: the filesystem one, or Redis when CELERY_BROKER_URL says so). The task is acks-late and
rejected on a lost worker, so the broker hands it out again; the redelivered task sees its own attempt's lock,
waits out the short lease, and runs the pass again. Nothing is half-written: the mirror equals the cloud.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest

from devices.tasks import devices_sync_task
from tests.voipadmin.test_sync_passes import mirror_dump
from voipadmin.core.models import SyncRun

LEASE = 3


def _wait(predicate: Callable[[], Any], timeout: float, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(every)
    return predicate()


def _pool_children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout
    return [int(p) for p in out.split()]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_pool_process_killed_mid_pass_loses_nothing_and_the_pass_is_redone(
    sandbox_settings: Any, settings: Any, worker_process: Any
) -> None:
    box = sandbox_settings
    settings.SYNC_LOCK_SECONDS = LEASE
    box.faults(latency_ms=100)  # a pass long enough to be caught in the middle
    env = {"SYNC_LOCK_SECONDS": str(LEASE)}
    worker = worker_process("--pool", "prefork", "--concurrency", "1", env=env)
    [child] = _wait(lambda: _pool_children(worker.proc.pid), 10)
    task_id = devices_sync_task.delay(trigger="test").id

    def mid_pass() -> SyncRun | None:
        return SyncRun.objects.filter(state="running", task_id=task_id, step="devices", done__gte=4).first()

    first = _wait(mid_pass, 60, every=0.05)
    assert first is not None, worker.output()[-3000:]
    os.kill(child, signal.SIGKILL)
    redone = _wait(
        lambda: SyncRun.objects.filter(task_id=task_id, state__in=["succeeded", "partial"]).first(),
        90,
        every=0.3,
    )
    output = worker.output()
    assert redone is not None, output[-4000:]
    assert "WorkerLostError" in output or "signal 9" in output, output[-3000:]
    first.refresh_from_db()
    assert first.state == "failed" and "abandoned" in first.errors[-1]
    assert redone.pk != first.pk and redone.state == "succeeded", redone.errors
    assert not SyncRun.objects.filter(state="running").exists()
    # Nothing half-written: every device, service and VoIP state is the cloud's.
    box.faults()
    cloud, mirror = box.control("GET", "dump"), mirror_dump()
    for part in ("homes", "devices", "services", "voip"):
        assert mirror[part] == cloud[part], part
    assert child not in _pool_children(worker.proc.pid)  # the pass was redone by a new pool process
