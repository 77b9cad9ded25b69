"""The one lock: owner token, atomic acquire, renew and release; never two holders at once across processes.

Runs on the database lock table always (SQLite on one CI leg, PostgreSQL on the other) and on Redis where the
settings name one, whichever the project would choose.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from tests.fixtures.celery import ROOT, _database_url
from voipadmin.core import locks
from voipadmin.core.models import Lock

BACKENDS = ["database", "redis"] if settings.REDIS_URL else ["database"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, settings) -> str:
    """The lock's backend for this test: the database table (no REDIS_URL), or Redis."""
    if request.param == "database":
        settings.REDIS_URL = ""
    return request.param


@pytest.mark.django_db(transaction=True)
def test_acquire_renew_release_name_the_owner(backend: str) -> None:
    token = locks.acquire("t:a", 30)
    assert token and locks.owner("t:a") == token
    assert locks.acquire("t:a", 30) is None  # held
    assert locks.renew("t:a", token, 30)
    assert not locks.renew("t:a", "someone-else", 30)
    assert not locks.release("t:a", "someone-else") and locks.owner("t:a") == token
    assert locks.release("t:a", token) and locks.owner("t:a") is None
    assert not locks.renew("t:a", token, 30)  # released: a renewal does not take it back
    with locks.held("t:b", 30, "busy") as lease:
        with pytest.raises(locks.LockHeld, match="busy"), locks.held("t:b", 30, "busy"):
            pass
        lease.renew()
    assert locks.owner("t:b") is None


@pytest.mark.django_db(transaction=True)
def test_an_expired_lease_is_taken_over_and_its_old_owner_cannot_renew_or_release(backend: str) -> None:
    if backend == "redis":
        old = locks.acquire("t:c", 0.05)
        import time

        time.sleep(0.1)
    else:
        old = locks.acquire("t:c", 30)
        Lock.objects.filter(key="t:c").update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert old
    new = locks.acquire("t:c", 30)
    assert new and new != old
    assert not locks.renew("t:c", old, 30) and not locks.release("t:c", old)
    assert locks.owner("t:c") == new
    with pytest.raises(locks.LockLost):
        locks.Lease("t:c", old, 30).renew()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_processes_never_hold_the_lock_at_once(tmp_path: Path, backend: str) -> None:
    log = tmp_path / "holders.log"
    env = {**os.environ, "DATABASE_URL": _database_url(), "REDIS_URL": settings.REDIS_URL}
    cmd = [sys.executable, "-m", "tests.voipadmin.lock_worker", "t:race", "40", str(log)]
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) for _ in range(3)]
    held = [int(p.communicate(timeout=120)[0].strip() or 0) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert held == [40, 40, 40]
    lines = log.read_text().split()
    assert len(lines) == 2 * 120
    # Strictly alternating: every "+pid" is followed by that same pid's "-pid".
    for enter, leave in zip(lines[::2], lines[1::2], strict=True):
        assert enter.startswith("+") and leave == "-" + enter[1:], (enter, leave)
