"""Readiness checks for /healthz: the database and the broker, each answering or named as failed."""

from __future__ import annotations

import os

from django.db import connection

from voipadmin.celery import app as celery_app


def check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"
        return type(exc).__name__
    return None


def check_broker(timeout: float = 2.0) -> str | None:
    options = celery_app.conf.broker_transport_options or {}
    url = str(celery_app.conf.broker_url)
    if url.startswith("filesystem://"):
        # The filesystem transport "connects" without touching disk; the folder itself must be usable.
        folder = options.get("data_folder_in", "")
        return None if folder and os.access(folder, os.W_OK) else "QueueFolderNotWritable"
    try:
        with celery_app.connection_for_write(url) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
            conn.default_channel  # noqa: B018 -- opening a channel proves the broker answers
    except Exception as exc:  # kombu raises many types; all mean "broker not reachable"
        return type(exc).__name__
    return None
