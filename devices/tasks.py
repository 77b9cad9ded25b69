"""Thin tasks: take ids, call one service, own retries and failure handling."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from devices.services.refresh import device_refresh_task
from devices.services.sync import devices_sync
from voipadmin.core.models import SyncRun
from voipadmin.core.syncpass import run_task

__all__ = ["device_refresh_task", "devices_sync_task"]  # the refresh is queued by its service


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def devices_sync_task(
    self: Any, trigger: str = "schedule", full: bool = False, actor_id: int | None = None
) -> dict:
    """One devices sync pass. Redelivery is safe (upserts; a pass's run row is ended by the next pass), so a
    pass whose worker was killed is redelivered and run again."""
    return run_task(self, devices_sync, SyncRun.Kind.DEVICES, trigger=trigger, full=full, actor_id=actor_id)
