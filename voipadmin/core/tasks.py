"""The floor's tasks, for the worker's autodiscovery: the alerts' evaluation and delivery live with the alerts."""

from __future__ import annotations

from voipadmin.core.alerts import alert_deliver_task, alerts_evaluate_task

__all__ = ["alert_deliver_task", "alerts_evaluate_task"]
