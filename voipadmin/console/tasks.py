from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from devices.services.sync import devices_sync
from mall.services.sync import mall_sync
from voipadmin.core.locks import LockHeld
from voipadmin.core.models import SyncRun

log = logging.getLogger(__name__)


@shared_task(ignore_result=False)
def ping() -> dict[str, str]:
    """Answer "pong": lets the tests prove a worker is consuming."""
    return {"reply": "pong"}


@shared_task
def mirror_bootstrap_task() -> dict[str, str]:
    """Fill an empty mirror: devices first (the mall links to them), then the mall."""
    done = {}
    for name, sync in (("devices", devices_sync), ("mall", mall_sync)):
        try:
            sync(trigger="startup")
            done[name] = "ran"
        except LockHeld:
            log.info("bootstrap: %s already running", name)
            done[name] = "already running"
    return done


@worker_ready.connect
def _bootstrap_empty_mirror(sender: Any = None, **kwargs: Any) -> None:
    # `make run` sets SYNC_ON_WORKER_START so a fresh demo shows data without waiting for the hourly sync.
    if not settings.SYNC_ON_WORKER_START:
        return
    if not SyncRun.objects.filter(state__in=["succeeded", "partial"]).exists():
        mirror_bootstrap_task.delay_on_commit()
