"""``python manage.py sync devices|mall|all [--full]``: fill the local mirror from the cloud, with progress.

A cross-app command, so it lives in voipadmin/ (the roof) and imports both apps plainly.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from devices.services.sync import devices_sync
from mall.services.sync import mall_sync
from voipadmin.core.locks import LockHeld
from voipadmin.core.syncpass import note_text

SYNCS = {"devices": devices_sync, "mall": mall_sync}


class Command(BaseCommand):
    help = "Sync the local mirror from the cloud (devices, then the mall)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("target", choices=[*SYNCS, "all"])
        parser.add_argument("--full", action="store_true", help="Re-read everything, not only what changed.")

    def handle(self, *args: Any, target: str, full: bool, verbosity: int, **options: Any) -> None:
        failed = []
        for name in SYNCS if target == "all" else [target]:
            try:
                run = SYNCS[name](full=full, trigger="command", progress=verbosity > 0)
            except LockHeld as exc:
                raise CommandError(f"{name}: {exc}") from exc
            seconds = (run.finished_at - run.started_at).total_seconds()
            counts = ", ".join(f"{k} {v}" for k, v in sorted(run.counts.items()) if v)
            self.stdout.write(
                f"{name}: {run.state} in {seconds:.1f} s ({'full' if run.full else 'incremental'}) — {counts}"
            )
            for note in run.notes:
                self.stdout.write(f"  {note_text(note)}")
            for error in run.errors[:10]:
                self.stderr.write(f"  {error}")
            if run.state == "failed":
                failed.append(name)
        if failed:
            raise CommandError(
                f"sync failed for {', '.join(failed)}; see the errors above and the SyncRun rows"
            )
