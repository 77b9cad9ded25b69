"""Thin tasks: take ids, call one service, own retries and failure handling."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from devices.services.sync import device_refresh, devices_sync
from voipadmin.core.clients.errors import CloudUnavailable
from voipadmin.core.models import SyncRun
from voipadmin.core.syncpass import run_task


@shared_task(autoretry_for=(CloudUnavailable,), retry_backoff=10, max_retries=3)
def device_refresh_task(device_id: str) -> None:
    device_refresh(device_id=device_id)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def devices_sync_task(
    self: Any, trigger: str = "schedule", full: bool = False, actor_id: int | None = None
) -> dict:
    """One devices sync pass. Redelivery is safe (upserts; a pass's run row is ended by the next pass), so a
    pass whose worker was killed is redelivered and run again."""
    return run_task(self, devices_sync, SyncRun.Kind.DEVICES, trigger=trigger, full=full, actor_id=actor_id)
