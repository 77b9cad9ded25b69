from __future__ import annotations

import socket

import pytest
from django.test import Client

from voipadmin.celery import app as celery_app


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.django_db
def test_healthz_answers_200_on_a_working_stack(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}, "failed": []}
    assert response["Content-Type"] == "application/json"


@pytest.mark.django_db
def test_healthz_names_an_unreachable_broker(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    closed = f"redis://127.0.0.1:{_closed_port()}/0"
    # Celery reads CELERY_BROKER_URL from the environment before its own settings (set in CI's Redis run).
    monkeypatch.setenv("CELERY_BROKER_URL", closed)
    monkeypatch.setitem(celery_app.conf, "broker_url", closed)
    monkeypatch.setitem(celery_app.conf, "broker_transport_options", {})
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["broker"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("failed: ")
