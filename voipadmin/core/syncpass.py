"""One lifecycle for every sync pass (devices, mall): lock, SyncRun, progress, failures, watermark.

- **Lock**: one pass of a kind at a time, on the project lock (voipadmin/core/locks.py) with a short lease that the
  pass renews as it makes progress; a killed pass frees it within one lease. Runs still marked running when a
  pass takes the lock were abandoned by a dead worker and are ended as failed.
- **Watermark**, one meaning for both syncs: a pass reads changes from ``since`` = the last pass's
  ``watermark`` minus ``OVERLAP`` (None: a full pass). It ends with ``watermark`` = its own start when nothing
  is left failing, else the ``since`` of the oldest open failure: no watermark ever passes a failure.
- **Failures** are ``SyncFailure`` rows (home, device, mall, page, listing; why). The next pass asks for them
  first (``retry``) and every open one it does not fail again is closed.
- **Progress**: the current step's done/total/start in the run row, saved at most once a second, so
  /syncs/ shows a bar, the rate and the time left; the same numbers drive a terminal bar for the command.

``Tally`` counts what a pass did and keeps its errors, thread-safe (the devices sync fetches on threads).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from tqdm import tqdm

from voipadmin.core import locks
from voipadmin.core.clients.errors import CloudError
from voipadmin.core.models import SyncFailure, SyncRun

log = logging.getLogger(__name__)

MAX_ERRORS_KEPT = 200
# Re-read a margin before the watermark: clocks differ, and re-reading is harmless (upserts).
OVERLAP = dt.timedelta(minutes=10)
SAVE_EVERY = 1.0  # seconds between progress writes
LOCK_KEYS = {SyncRun.Kind.DEVICES: "devices:sync", SyncRun.Kind.MALL: "mall:sync"}
# What a pass could not do at all, by code (SyncRun.notes), in the reader's language.
NOTES = {
    "no_home_listing": _(
        "The cloud offers no home listing (ext/listHomes answered 1108 “uri path invalid”). Not done: "
        "finding new homes and their devices. Everything already stored is kept; the stored homes were read "
        "again."
    ),
    "no_change_listing": _(
        "The cloud offers no listing of changed devices (ext/listDevicesChanged answered 1108). Not done: "
        "reading only what changed; every stored home was read again instead."
    ),
    "no_user_listing": _(
        "The cloud offers no user listing (ext/listUsers answered 1108): only the devices' auth users are "
        "mirrored, and nobody's homes."
    ),
    "no_mall_listing": _(
        "The cloud offers no mall listing (ext/listMalls answered 1108): the malls the devices reported were read."
    ),
}


@dataclass
class Tally:
    kind: str = "sync"  # names the pass in the log
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, key: str, n: int = 1) -> None:
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + n

    def error(self, where: str, exc: Exception | str) -> None:
        text = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
        log.warning("%s: %s: %s", self.kind, where, text)
        with self.lock:
            if len(self.errors) < MAX_ERRORS_KEPT:
                self.errors.append(f"{where}: {text}"[:500])
        self.add("errors")


def lock_ttl() -> int:
    return int(settings.SYNC_LOCK_SECONDS)


def lock_key(kind: str) -> str:
    return LOCK_KEYS[SyncRun.Kind(kind)]


# The steps of a pass and who started it, in words (the run row keeps the codes).
STEPS = {
    "homes": _("homes"),
    "users": _("users and their homes"),
    "changed devices": _("changed devices"),
    "devices": _("devices"),
    "malls": _("malls, orders and subscriptions"),
}
TRIGGERS = {
    "user": _("started by a person"),
    "schedule": _("schedule"),
    "command": _("command"),
    "startup": _("worker start"),
}


def note_text(code: str) -> str:
    return str(NOTES.get(code, code))


def already_running_message(kind: str) -> str:
    return _("A %(kind)s sync pass is already running; wait for it to finish.") % {
        "kind": SyncRun.Kind(kind).label
    }


@dataclass
class SyncPass:
    """A pass under way: what it reads from, what it retries, what failed, how far it got."""

    run: SyncRun
    lease: locks.Lease
    tally: Tally
    since: dt.datetime | None
    started: dt.datetime
    retrying: list[SyncFailure]
    show_progress: bool = False
    failed: dict[tuple[str, str], str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # The keys of kept counts this pass changed, recounted at its end (devices: the homes a device joined or left).
    recount: set[str] = field(default_factory=set)
    _saved: float = 0.0
    _bar: Any = None
    _owner: int = field(default_factory=threading.get_ident)

    @property
    def full(self) -> bool:
        return self.since is None

    def retry(self, scope: str) -> list[str]:
        """The keys of this scope that failed before: to be read first."""
        return [f.key for f in self.retrying if f.scope == scope]

    def retry_since(self, scope: str, key: str) -> dt.datetime | None:
        return next((f.since for f in self.retrying if f.scope == scope and f.key == key), None)

    def fail(self, scope: str, key: str, where: str, exc: Exception | str) -> None:
        """Record something the pass could not read: kept as a SyncFailure for the next pass to retry."""
        self.tally.error(where, exc)
        text = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
        with self.tally.lock:
            self.failed.setdefault((scope, key), f"{where}: {text}"[:500])

    def note(self, text: str) -> None:
        """Something the pass could not do at all (said once), apart from the failures."""
        if text not in self.notes:
            log.warning("%s: %s", self.tally.kind, text)
            self.notes.append(text)

    # -- progress and the lease ------------------------------------------------------------------------------
    def step(self, name: str, total: int | None) -> None:
        """Begin a step of ``total`` units (None: not known yet)."""
        if self._bar is not None:
            self._bar.close()
        self._bar = (
            tqdm(total=total, desc=name, leave=True, dynamic_ncols=True) if self.show_progress else None
        )
        now = timezone.now()
        self.run.step, self.run.done, self.run.total, self.run.step_started_at = name, 0, total, now
        self._save(force=True)

    def set_total(self, total: int) -> None:
        self.run.total = total
        if self._bar is not None:
            self._bar.total = total
            self._bar.refresh()

    def advance(self, n: int = 1) -> None:
        self.run.done += n
        if self._bar is not None:
            self._bar.update(n)
        self._save()

    def beat(self) -> None:
        """Renew the lease (and save progress) if due; a long step without progress calls this."""
        self._save()

    def _save(self, *, force: bool = False) -> None:
        if threading.get_ident() != self._owner:
            return  # only the pass's own thread writes the row and renews the lease
        now = time.monotonic()
        if not force and now - self._saved < SAVE_EVERY:
            return
        self._saved = now
        self.lease.renew()
        self.run.heartbeat_at = timezone.now()
        SyncRun.objects.filter(pk=self.run.pk).update(
            step=self.run.step,
            done=self.run.done,
            total=self.run.total,
            step_started_at=self.run.step_started_at,
            heartbeat_at=self.run.heartbeat_at,
        )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def last_watermark(kind: str) -> dt.datetime | None:
    run = (
        SyncRun.objects.filter(kind=kind, state__in=[SyncRun.State.SUCCEEDED, SyncRun.State.PARTIAL])
        .exclude(watermark=None)
        .order_by("-started_at", "-id")
        .first()
    )
    return run.watermark if run else None


def run_pass(
    kind: str,
    body: Callable[[SyncPass], None],
    *,
    full: bool = False,
    trigger: str = "command",
    progress: bool = False,
    actor: AbstractBaseUser | None = None,
    task_id: str = "",
) -> SyncRun:
    """Run one pass of ``kind`` with ``body`` doing the reading; raises ``LockHeld`` while one runs.

    A ``CloudError`` that ends the pass early makes it failed and is not raised; any other error is."""
    with locks.held(lock_key(kind), lock_ttl(), already_running_message(kind)) as lease:
        _abandon(kind)
        prior = last_watermark(kind)
        watermark = None if full else prior
        since = None if watermark is None else watermark - OVERLAP
        run = SyncRun.objects.create(
            kind=kind,
            trigger=trigger,
            full=since is None,
            since=since,
            requested_by=actor if actor is not None and actor.is_authenticated else None,
            heartbeat_at=timezone.now(),
            task_id=task_id or "",
        )
        retrying = list(SyncFailure.objects.filter(kind=kind))
        p = SyncPass(
            run=run,
            lease=lease,
            tally=Tally(f"{kind} sync"),
            since=since,
            started=run.started_at,
            retrying=retrying,
            show_progress=progress,
        )
        p.tally.add("failures_retried", len(retrying))
        try:
            body(p)
        except CloudError as exc:
            p.tally.error("aborted", exc)
            _finish(p, aborted=True)
        except BaseException as exc:
            p.tally.error("aborted", exc if isinstance(exc, Exception) else repr(exc))
            _finish(p, aborted=True)
            raise
        else:
            _finish(p, aborted=False, had_watermark=prior is not None)
        finally:
            p.close()
    run.refresh_from_db()
    return run


def _abandon(kind: str) -> None:
    """Runs of this kind still marked running while we hold the lock: their worker died mid-pass."""
    for run in SyncRun.objects.filter(kind=kind, state=SyncRun.State.RUNNING):
        SyncRun.objects.filter(pk=run.pk, state=SyncRun.State.RUNNING).update(
            state=SyncRun.State.FAILED,
            finished_at=run.heartbeat_at or run.started_at,
            errors=[*run.errors, "abandoned: its worker stopped mid-pass; the next pass redid it"],
        )


def _finish(p: SyncPass, *, aborted: bool, had_watermark: bool = False) -> None:
    kind = p.run.kind
    with transaction.atomic():
        open_rows = {(f.scope, f.key): f for f in SyncFailure.objects.select_for_update().filter(kind=kind)}
        closed = 0 if aborted else len([k for k in open_rows if k not in p.failed])
        if not aborted:
            # Every open failure was retried by this pass: those it did not fail again are read now.
            SyncFailure.objects.filter(
                pk__in=[f.pk for k, f in open_rows.items() if k not in p.failed]
            ).delete()
        new = 0
        for (scope, key), reason in p.failed.items():
            row = open_rows.get((scope, key))
            if row is None:
                SyncFailure.objects.create(
                    kind=kind,
                    scope=scope,
                    key=key[:128],
                    reason=reason,
                    since=p.since or p.started,
                    first_failed_at=timezone.now(),
                    run=p.run,
                )
                new += 1
            else:
                SyncFailure.objects.filter(pk=row.pk).update(
                    reason=reason, attempts=row.attempts + 1, run=p.run
                )
        oldest = (
            SyncFailure.objects.filter(kind=kind).order_by("since").values_list("since", flat=True).first()
        )
        counts = p.tally.counts
        counts.update(
            failures_closed=closed,
            failures_new=new,
            failures_open=SyncFailure.objects.filter(kind=kind).count(),
        )
        if p.run.full and had_watermark and not aborted:
            # What this full pass wrote, incremental passes had missed (a perfect mirror needs no write).
            counts["missed"] = sum(
                v for k, v in counts.items() if k.endswith(("_created", "_updated", "_deleted"))
            )
        if aborted:
            state = SyncRun.State.FAILED
        elif p.failed or p.tally.errors or p.notes:
            state = SyncRun.State.PARTIAL
        else:
            state = SyncRun.State.SUCCEEDED
        watermark = None if aborted else min(p.started, oldest) if oldest is not None else p.started
        SyncRun.objects.filter(pk=p.run.pk).update(
            state=state,
            finished_at=timezone.now(),
            watermark=watermark,
            counts=counts,
            errors=p.tally.errors,
            notes=p.notes,
            done=p.run.done,
            total=p.run.total,
        )


def run_task(task: Any, sync: Callable[..., SyncRun], kind: str, **kwargs: Any) -> dict[str, Any]:
    """The body of a sync task (acks late, rejected when its worker is lost, so redelivered).

    A pass already running covers this one, unless it is this very task's own attempt whose worker died:
    then its lease is waited out and the pass is run again."""
    from django.contrib.auth import get_user_model

    actor_id = kwargs.pop("actor_id", None)
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    task_id = getattr(task.request, "id", None) or ""
    try:
        run = sync(**kwargs, actor=actor, task_id=task_id)
    except locks.LockHeld:
        if (
            task_id
            and SyncRun.objects.filter(kind=kind, state=SyncRun.State.RUNNING, task_id=task_id).exists()
        ):
            log.warning(
                "%s sync: task %s was cut off mid-pass; running it again after the lease", kind, task_id
            )
            raise task.retry(countdown=lock_ttl() + 1, max_retries=5) from None
        log.info("%s sync skipped: another pass holds the lock", kind)
        return {"state": "locked"}
    return {"state": run.state, "run": run.pk, "counts": run.counts}
