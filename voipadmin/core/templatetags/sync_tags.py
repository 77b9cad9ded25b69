"""A sync pass's notes (what it could not do at all), in the reader's language."""

from __future__ import annotations

from django import template

from voipadmin.core.syncpass import STEPS, TRIGGERS, note_text

register = template.Library()


@register.filter
def sync_note(code: str) -> str:
    return note_text(code)


@register.filter
def sync_step(code: str) -> str:
    return str(STEPS.get(code, code))


@register.filter
def sync_trigger(code: str) -> str:
    return str(TRIGGERS.get(code, code))
