"""Celery tasks of the mall: thin — they call one service and own only retries and failure handling."""

from __future__ import annotations

import logging

from celery import shared_task

from mall.services.purchase import device_orders_reread
from mall.services.sync import mall_sync
from voipadmin.clients.errors import CloudUnavailable
from voipadmin.locks import LockHeld

log = logging.getLogger(__name__)


@shared_task(ignore_result=False, acks_late=True)
def mall_sync_task(full: bool = False, trigger: str = "beat") -> dict:
    """One mall sync pass; a pass already running is not an error (the lock refuses, this one ends)."""
    try:
        run = mall_sync(trigger=trigger, full=full)
    except LockHeld:
        log.info("mall sync skipped: another pass holds the lock")
        return {"state": "locked"}
    return {"state": run.state, "run": run.pk, "counts": run.counts}


@shared_task(autoretry_for=(CloudUnavailable,), retry_backoff=10, max_retries=3)
def device_orders_reread_task(device_id: str, mall_code: str, site_code: str) -> int:
    """After a purchase whose outcome is unknown: the device's orders in that mall, read now."""
    return device_orders_reread(device_id=device_id, mall_code=mall_code, site_code=site_code)
