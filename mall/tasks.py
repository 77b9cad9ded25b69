"""Celery tasks of the mall: thin — they call one service and own only retries and failure handling."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from mall.services.purchase import device_orders_reread_task
from mall.services.sync import mall_sync
from voipadmin.core.models import SyncRun
from voipadmin.core.syncpass import run_task

log = logging.getLogger(__name__)

__all__ = ["device_orders_reread_task", "mall_sync_task"]  # the re-read is queued by its service


@shared_task(bind=True, ignore_result=False, acks_late=True, reject_on_worker_lost=True)
def mall_sync_task(self: Any, full: bool = False, trigger: str = "beat", actor_id: int | None = None) -> dict:
    """One mall sync pass; a pass already running is not an error (the lock refuses, this one ends).

    Redelivery is safe (upserts), so a pass whose worker was killed is redelivered and run again."""
    return run_task(self, mall_sync, SyncRun.Kind.MALL, trigger=trigger, full=full, actor_id=actor_id)
