"""The filter form's widgets drawn in Python, as Django's own widget templates draw them.

Every list page renders its filter form, and Django's widget templates (an include per input, per option and per
attribute list) cost more than the rest of the form. This renderer writes the same bytes for the few widget
templates the filters use (tests/voipadmin/test_renderers.py compares it with Django's templates) and hands any
other template to Django's renderer. It must never draw anything Django's templates would not: the attributes,
ids and the ``aria-invalid``/``aria-describedby`` marks all come from Django's widget context, unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.forms.renderers import BaseRenderer, get_default_renderer
from django.utils.formats import localize
from django.utils.html import conditional_escape

WIDGETS = "django/forms/widgets/"
SELECT_OPTION = WIDGETS + "select_option.html"


def text(value: Any) -> str:
    """``{{ value }}`` in a template: localized, then escaped unless already safe."""
    return conditional_escape(localize(value))


def _attrs(attrs: dict[str, Any]) -> str:
    """attrs.html: True is a bare attribute, False is left out, anything else is ``name="value"``."""
    return "".join(
        f" {text(name)}" if value is True else f' {text(name)}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict[str, Any]) -> str:
    value = "" if widget["value"] is None else f' value="{conditional_escape(widget["value"])}"'
    return (
        f'<input type="{text(widget["type"])}" name="{text(widget["name"])}"{value}{_attrs(widget["attrs"])}>'
    )


def _input_option(widget: dict[str, Any]) -> str:
    """A checkbox or radio of a choice widget; wrapped in its label when asked (the input template's newline kept)."""
    tag = _input(widget)
    if not widget.get("wrap_label"):
        return tag
    label_for = f' for="{text(widget["attrs"]["id"])}"' if widget["attrs"].get("id") else ""
    return f"<label{label_for}>{tag}\n {text(widget['label'])}</label>"


def _select(widget: dict[str, Any]) -> str | None:
    parts = [f'<select name="{text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{text(group_name)}">')
        for option in options:
            if option["template_name"] != SELECT_OPTION:
                return None
            parts.append(
                f'\n  <option value="{conditional_escape(option["value"])}"{_attrs(option["attrs"])}>'
                f"{text(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


# Only templates that are exactly these shapes in Django: search.html, text.html … are one include of input.html.
DRAWN: dict[str, Callable[[dict[str, Any]], str | None]] = {
    WIDGETS + "text.html": _input,
    WIDGETS + "search.html": _input,
    WIDGETS + "number.html": _input,
    WIDGETS + "date.html": _input,
    WIDGETS + "checkbox_option.html": _input_option,
    WIDGETS + "radio_option.html": _input_option,
    WIDGETS + "select.html": _select,
}


class FilterRenderer(BaseRenderer):
    """Django's renderer, but the filter widgets' templates are drawn in Python."""

    def get_template(self, template_name: str) -> Any:
        return get_default_renderer().get_template(template_name)

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        draw = DRAWN.get(template_name)
        drawn = draw(context["widget"]) if draw is not None and "widget" in context else None
        if drawn is None:
            return get_default_renderer().render(template_name, context, request=request)
        return drawn


FILTER_RENDERER = FilterRenderer()
