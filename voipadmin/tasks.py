from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=False)
def ping() -> str:
    """Answer "pong": lets /healthz-style checks and the tests prove a worker is consuming."""
    return "pong"
