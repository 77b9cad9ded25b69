"""Progress of a long job for people: done of total, the rate so far and the time left at that rate."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone

register = template.Library()


@register.simple_tag
def progress_figures(done: int | None, total: int | None, started: dt.datetime | None) -> dict[str, Any]:
    """``{percent, rate (per second), left (seconds) }``; None where not known yet."""
    done = int(done or 0)
    elapsed = (timezone.now() - started).total_seconds() if started else 0.0
    rate = done / elapsed if elapsed > 0 and done else None
    percent = min(100, int(100 * done / total)) if total else None
    left = (total - done) / rate if rate and total and total >= done else None
    return {"percent": percent, "rate": rate, "left": left, "done": done, "total": total}
