from __future__ import annotations

import pytest

from voipadmin.console.tasks import ping


@pytest.mark.django_db(transaction=True)
def test_a_delayed_task_runs_on_the_real_worker(celery_worker: object) -> None:
    result = ping.delay()
    assert result.get(timeout=30) == {"reply": "pong"}
    assert result.successful()


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_worker_subprocess_consumes_from_the_same_broker(worker_process) -> None:
    worker = worker_process()
    assert ping.delay().get(timeout=60) == {"reply": "pong"}
    worker.stop()
    assert "succeeded" in worker.output()
