"""A run's chunk rows: planning them once, leasing them to workers, and summing their counts into the run.

Every change of a chunk's state is a conditional update, so of several workers (and the sweeper) one wins.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from devices.models import Device, ReconciliationChunk, ReconciliationRun
from voipadmin.core.clients import MAX_OBSERVATION_BATCH

# Per chunk, summed into the run: the devices, what became of them, and the calls made (each worker its own).
DEVICE_KEYS = ("total", "checked", "in_sync", "drift_found", "fixed", "reported", "skipped", "failed")
CALL_KEYS = ("cloud_calls", "wechat_calls")
COUNT_KEYS = DEVICE_KEYS + CALL_KEYS


def _chunk_size() -> int:
    """Devices per chunk: one observation call each, so at most WeChat's batch of 50."""
    return max(1, min(int(settings.RECONCILE_CHUNK_SIZE), MAX_OBSERVATION_BATCH))


def lease() -> dt.timedelta:
    """How long a worker holds a chunk; far longer than one chunk takes (reads, one observation, writes)."""
    return dt.timedelta(seconds=int(settings.RECONCILE_LEASE_SECONDS))


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


def plan(run: ReconciliationRun) -> None:
    """Split the run into chunks of up to 50 devices sharing (AppID, model id); done once per run."""
    devices = Device.objects.filter(voip_capable=True).exclude(wechat_model_id="")
    if run.device_scope:
        devices = devices.filter(pk=run.device_scope)
    if ids := run.scope.get("devices"):
        devices = devices.filter(pk__in=ids)
    if home := run.scope.get("home"):
        devices = devices.filter(home_id=home)
    if model := run.scope.get("model"):
        devices = devices.filter(wechat_model_id=model)
    rows = devices.order_by("wechat_app_id", "wechat_model_id", "device_id").values_list(
        "wechat_app_id", "wechat_model_id", "device_id"
    )
    chunks: list[ReconciliationChunk] = []
    current: ReconciliationChunk | None = None
    size = _chunk_size()
    for app_id, model_id, device_id in rows.iterator(chunk_size=2000):
        if (
            current is None
            or (current.app_id, current.model_id) != (app_id, model_id)
            or (len(current.device_ids) >= size)
        ):
            current = ReconciliationChunk(run=run, seq=len(chunks), app_id=app_id, model_id=model_id)
            chunks.append(current)
        current.device_ids.append(device_id)
    with transaction.atomic():
        # Conditional: of two workers planning the same run, one writes the chunks.
        if ReconciliationRun.objects.filter(pk=run.pk, planned_at=None).update(planned_at=timezone.now()):
            ReconciliationChunk.objects.bulk_create(chunks, batch_size=500)
            total = sum(len(c.device_ids) for c in chunks)
            ReconciliationRun.objects.filter(pk=run.pk).update(counts={**zero_counts(), "total": total})


def claim(run: ReconciliationRun) -> tuple[ReconciliationChunk, str] | None:
    """Lease the next chunk that is pending or whose lease expired; None when there is none left."""
    now = timezone.now()
    candidates = ReconciliationChunk.objects.filter(run=run).filter(
        Q(state=ReconciliationChunk.State.PENDING)
        | Q(state=ReconciliationChunk.State.LEASED, lease_expires_at__lt=now)
    )
    for chunk in candidates.order_by("seq")[:20]:
        token = uuid.uuid4().hex
        claimed = (
            ReconciliationChunk.objects.filter(pk=chunk.pk, state=chunk.state, lease_token=chunk.lease_token)
            .filter(Q(state=ReconciliationChunk.State.PENDING) | Q(lease_expires_at__lt=now))
            .update(
                state=ReconciliationChunk.State.LEASED,
                lease_token=token,
                lease_expires_at=now + lease(),
                leased_by=_worker_name(),
                attempts=F("attempts") + 1,
            )
        )
        if claimed == 1:
            chunk.refresh_from_db()
            return chunk, token
    return None


def release(chunk: ReconciliationChunk, token: str) -> None:
    """Give a chunk back (quota stop, a WeChat failure to retry): someone may take it again."""
    ReconciliationChunk.objects.filter(pk=chunk.pk, lease_token=token).update(
        state=ReconciliationChunk.State.PENDING, lease_token="", lease_expires_at=None
    )


def complete(chunk: ReconciliationChunk, token: str, counts: dict[str, int]) -> bool:
    """Mark a chunk done with its counts, only while we still hold its lease."""
    return bool(
        ReconciliationChunk.objects.filter(
            pk=chunk.pk, state=ReconciliationChunk.State.LEASED, lease_token=token
        ).update(state=ReconciliationChunk.State.DONE, counts=counts, finished_at=timezone.now())
    )


def zero_counts() -> dict[str, int]:
    return dict.fromkeys(COUNT_KEYS, 0)


def sum_counts(run: ReconciliationRun) -> dict[str, int]:
    counts = zero_counts()
    counts["total"] = int(run.counts.get("total") or 0)
    done = ReconciliationChunk.objects.filter(run=run, state=ReconciliationChunk.State.DONE)
    for chunk_counts in done.values_list("counts", flat=True):
        for key in COUNT_KEYS[1:]:
            counts[key] += int(chunk_counts.get(key) or 0)
    return counts


def lease_ttl() -> int:
    return max(1, int(lease().total_seconds()))
