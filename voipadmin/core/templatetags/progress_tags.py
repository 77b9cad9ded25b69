"""``{% progress_of done total started as progress %}``: a Progress for the shared ``_progress.html`` include."""

from __future__ import annotations

import datetime as dt

from django import template

from voipadmin.core.progress import Progress

register = template.Library()


@register.simple_tag
def progress_of(done: int | None, total: int | None, started: dt.datetime | None) -> Progress | None:
    """None before the work has started; ``total`` None while the work does not know its size yet."""
    if started is None:
        return None
    return Progress.of(done=int(done or 0), total=total, started_at=started)
