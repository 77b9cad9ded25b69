"""A sync pass's notes (what it could not do at all), in the reader's language."""

from __future__ import annotations

from django import template

from voipadmin.syncpass import note_text

register = template.Library()


@register.filter
def sync_note(code: str) -> str:
    return note_text(code)
