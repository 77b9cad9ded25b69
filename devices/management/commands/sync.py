"""``python manage.py sync devices|mall|all [--full]``: fill the local mirror from the cloud, with progress."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from voipadmin.locks import LockHeld

# Which service syncs what, by name, so that devices never imports mall.
TARGETS = {
    "devices": "devices.services.sync:devices_sync",
    "mall": "mall.services.sync:mall_sync",
}


def _service(target: str) -> Callable[..., Any]:
    module, name = TARGETS[target].split(":")
    return getattr(import_module(module), name)


class Command(BaseCommand):
    help = "Sync the local mirror from the cloud (devices, then the mall)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("target", choices=[*TARGETS, "all"])
        parser.add_argument("--full", action="store_true", help="Re-read everything, not only what changed.")

    def handle(self, *args: Any, target: str, full: bool, verbosity: int, **options: Any) -> None:
        failed = []
        for name in TARGETS if target == "all" else [target]:
            try:
                run = _service(name)(full=full, trigger="command", progress=verbosity > 0)
            except LockHeld as exc:
                raise CommandError(f"{name}: {exc}") from exc
            seconds = (run.finished_at - run.started_at).total_seconds()
            counts = ", ".join(f"{k} {v}" for k, v in sorted(run.counts.items()) if v)
            self.stdout.write(
                f"{name}: {run.state} in {seconds:.1f} s ({'full' if run.full else 'incremental'}) — {counts}"
            )
            for error in run.errors[:10]:
                self.stderr.write(f"  {error}")
            if run.state == "failed":
                failed.append(name)
        if failed:
            raise CommandError(
                f"sync failed for {', '.join(failed)}; see the errors above and the SyncRun rows"
            )
