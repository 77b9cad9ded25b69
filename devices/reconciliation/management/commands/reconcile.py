"""``python manage.py reconcile [--dry-run] [--device ID]``: reconcile VoIP authorization in the foreground."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from devices.reconciliation.runs import RunAlreadyRunning, devices_to_check, reconciliation_run


class Command(BaseCommand):
    help = "Compare each VoIP device's cloud authorization with WeChat's observation and fix the drift."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Report the drift; write nothing.")
        parser.add_argument("--device", metavar="ID", default="", help="Check only this device.")

    def handle(self, *args: Any, dry_run: bool, device: str, verbosity: int, **options: Any) -> None:
        total = devices_to_check(device_ids=[device] if device else None)
        if device and not total:
            raise CommandError(
                f"{device}: not a VoIP-capable device of the mirror (run `sync devices` first?)"
            )
        bar = tqdm(total=total, desc="devices", unit="", dynamic_ncols=True, disable=verbosity == 0)
        try:
            run = reconciliation_run(
                trigger="command", dry_run=dry_run, device_id=device, progress=bar.update
            )
        except RunAlreadyRunning as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        counts = ", ".join(f"{k} {v}" for k, v in run.counts.items() if v)
        seconds = run.duration.total_seconds() if run.duration else 0.0
        self.stdout.write(f"run {run.pk}: {run.state} in {seconds:.1f} s — {counts}")
        for error in run.errors[:10]:
            self.stderr.write(f"  {error}")
        if run.state == run.State.FAILED:
            raise CommandError(f"run {run.pk} failed; see the errors above and /reconciliation/{run.pk}/")
