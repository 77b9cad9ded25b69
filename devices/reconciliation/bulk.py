"""Bulk actions on devices: resolve a selection (capped), and run a refresh or re-check over it as a BulkJob.

Each device goes through the per-device service a person's button uses (``device_refresh_by``,
``voip_auth_recheck``), so each is audited per device, holds the device's write lock, and the re-check takes the
shared WeChat limiter in ``observe_with_backoff``. ``done`` moves on after each device, so a redelivered task
continues after the devices already handled; nothing here talks to the cloud directly.
"""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from devices.models import BulkJob, Device
from devices.reconciliation.recheck import voip_auth_recheck
from devices.selectors import MAX_SELECTION
from devices.services.fixes import device_refresh_by


def bulk_job_start(*, action: str, actor: object, device_ids: list[str]) -> BulkJob:
    ids = list(dict.fromkeys(device_ids))[:MAX_SELECTION]
    return BulkJob.objects.create(action=action, requested_by=actor, device_ids=ids, total=len(ids))


def bulk_job_execute(job_id: int) -> BulkJob | None:
    job = (
        BulkJob.objects.select_related("requested_by").filter(pk=job_id, state=BulkJob.State.RUNNING).first()
    )
    if job is None or job.requested_by is None:
        return job
    step = device_refresh_by if job.action == BulkJob.Action.REFRESH else voip_auth_recheck
    devices = Device.objects.in_bulk(job.device_ids[job.done :])
    for device_id in job.device_ids[job.done :]:
        device = devices.get(device_id)
        ok = device is not None and step(actor=job.requested_by, device=device).ok
        BulkJob.objects.filter(pk=job.pk).update(done=F("done") + 1, failed=F("failed") + (0 if ok else 1))
    job.refresh_from_db()
    state = BulkJob.State.PARTIAL if job.failed else BulkJob.State.SUCCEEDED
    BulkJob.objects.filter(pk=job.pk, state=BulkJob.State.RUNNING).update(
        state=state, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job
