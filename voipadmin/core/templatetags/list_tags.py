"""The parts every list draws around its rows, built here rather than in templates: ``{% filter_form %}`` (the
saved views, the filter form, its chips and date presets) and ``{% pager %}`` (First / Previous / Next and the
list's size).

Every list page and every htmx swap of a list draws them, and as templates they cost more than the rows they
frame (without them the homes page took 0.9 ms less of 5.5 ms: an include per part and a node per word). They
write the markup the templates wrote. Whatever comes from the request, the filters, a saved view or a label is escaped where it is
put in; the form's widgets are drawn by its own renderer (voipadmin/core/renderers.py).
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import quote

from django import template
from django.template.backends.utils import csrf_input
from django.template.defaulttags import querystring
from django.urls import reverse
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from voipadmin.core.keyset import KeysetPage, Total
from voipadmin.core.renderers import text
from voipadmin.core.saved_views import list_for_path, normalize, tabs_of

register = template.Library()
CURRENT = ' aria-current="true"'
NL = "\n"

# The parts' fixed words, marked here (gettext cannot see a call inside an f-string) and escaped once per language.
WORDS = {
    "filters": _("Filters"),
    "filter": _("Filter"),
    "loading": _("Loading…"),
    "again": _("Start again from the first page."),
    "short_query": _(
        "One or two characters match the start of a name; type three or more to match anywhere in it."
    ),
    "presets": _("Date presets"),
    "active": _("Active filters"),
    "clear_all": _("Clear all"),
    "saved_views": _("Saved views"),
    "manage": _("Manage views"),
    "save_this": _("Save this view…"),
    "name": _("Name"),
    "share": _("Share with the team"),
    "save": _("Save view"),
    "shared": _("shared"),
    "pages": _("Pages"),
    "first": _("First"),
    "previous": _("Previous"),
    "next": _("Next"),
}


@functools.lru_cache(maxsize=16)
def _words(language: str | None) -> dict[str, str]:
    return {key: escape(word) for key, word in WORDS.items()}


def _joined(errors: Any) -> str:
    """``{{ errors|join:" " }}``: each message escaped."""
    return " ".join(conditional_escape(e) for e in errors)


def _swap(url: str, target: str, extra: str = "") -> str:
    """A link's ``href`` and its htmx swap of the list's fragment (``url`` escaped already)."""
    return f'href="{url}" hx-get="{url}" hx-target="#{target}" hx-swap="outerHTML{extra}" hx-push-url="true"'


# -- the filter form -------------------------------------------------------------------------------------------


@register.simple_tag(takes_context=True)
def filter_form(context: Any, target: str) -> SafeString:
    """The one list filter (voipadmin/core/filters.py), inside its list's swapped fragment, so the form, the chips
    and the count are always the list's own state. ``hx-get`` is the page's own path: the form's values replace
    the query, never add to it. Triggers are the form's own events (change bubbles from its controls), never the
    document's. Reads ``filter``, ``form`` and ``request``. Works without JavaScript: a GET form, real links, a
    ``<details>`` fold."""
    w = _words(get_language())
    request = context["request"]
    filters = context["filter"]
    form = context["form"]
    target = escape(target)
    path = escape(request.path)
    active = filters.active_count
    count = f" ({text(active)})" if active else ""
    parts = [
        saved_views_bar(context, target, w),
        '<details class="filter-fold" open data-filter-fold>\n',
        f'<summary class="btn">{w["filters"]}{count}</summary>\n',
        f'<form id="{target}-filters" class="filters" method="get" action="{path}" hx-get="{path}" '
        f'hx-target="#{target}" hx-swap="outerHTML" hx-push-url="true" '
        'hx-trigger="submit, change delay:250ms, search from:find input[type=search]" '
        f'hx-indicator="#{target}-indicator">\n',
    ]
    if form.non_field_errors():
        parts.append(f'<div class="form-error" role="alert">{_joined(form.non_field_errors())}</div>\n')
    for field in form:
        if field.errors and field.name in filters.hidden:
            again = w["again"]
            parts.append(
                f'<div class="form-error" role="alert">{_joined(field.errors)} '
                f'<a href="{escape(filters.clear_url())}">{again}</a></div>\n'
            )
    for field in filters.visible_fields():
        parts.append(_control(field))
    parts += [
        '<div class="field field-buttons">\n',
        f'<button type="submit" class="btn btn-primary">{w["filter"]}</button>\n</div>\n',
        f'<span id="{target}-indicator" class="htmx-indicator" role="status">'
        f'<span class="spinner" aria-hidden="true"></span> {w["loading"]}</span>\n',
        "</form>\n</details>\n",
    ]
    if filters.starts_with_only:
        parts.append(f'<p class="muted search-note">{w["short_query"]}</p>\n')
    parts.append(_filter_bar(filters, target, w))
    # Every value from the request, the filters or a label is escaped above; the rest is this module's markup.
    return mark_safe("".join(parts))  # noqa: S308


def _control(field: Any) -> str:
    """One filter: a fieldset of checkboxes, or a label and its widget; its errors under it."""
    label = conditional_escape(field.label)
    if getattr(field.field.widget, "input_type", None) == "checkbox":
        choices = "".join(
            f'<label for="{escape(choice.id_for_label)}">{choice.tag()} {conditional_escape(choice.choice_label)}</label>'
            for choice in field
        )
        error = (
            f'<div class="form-error" role="alert">{_joined(field.errors)}</div>\n' if field.errors else ""
        )
        return f'<fieldset class="field checks">\n<legend>{label}</legend>\n{choices}\n{error}</fieldset>\n'
    error = (
        f'<div class="form-error" role="alert" id="{escape(field.auto_id)}_error">{_joined(field.errors)}</div>\n'
        if field.errors
        else ""
    )
    return f'<div class="field">\n<label for="{escape(field.id_for_label)}">{label}</label>\n{field}\n{error}</div>\n'


def _filter_bar(filters: Any, target: str, w: dict[str, str]) -> str:
    """The date presets and the active filters as chips, each a link to the list without it, and "Clear all"."""
    presets, chips = filters.presets(), filters.chips()
    if not presets and not chips:
        return ""
    parts = ['<div class="filter-bar">\n']
    if presets:
        links = "".join(
            f'<a class="chip chip-preset" {_swap(escape(p.url), target)}'
            f"{CURRENT if p.current else ''}>{escape(p.label)}</a>"
            for p in presets
        )
        parts.append(f'<nav class="presets" aria-label="{w["presets"]}">\n{links}\n</nav>\n')
    if chips:
        items = []
        for c in chips:
            label, value = escape(c.label), escape(c.value)
            remove = gettext("Remove the filter %(label)s: %(value)s") % {"label": label, "value": value}
            items.append(
                f'<li><a class="chip" {_swap(escape(c.url), target)} aria-label="{remove}">'
                f'{label}: {value} <span aria-hidden="true">×</span></a></li>'
            )
        clear = escape(filters.clear_url())
        items.append(f'\n<li><a class="chip chip-clear" {_swap(clear, target)}>{w["clear_all"]}</a></li>')
        parts.append(f'<ul class="chips" aria-label="{w["active"]}">\n{"".join(items)}\n</ul>\n')
    parts.append("</div>\n")
    return "".join(parts)


def saved_views_bar(context: Any, target: str, w: dict[str, str]) -> str:
    """The saved views of the list on this page as tabs, and "save this view" (voipadmin/core/saved_views.py);
    ``w`` is the parts' words in the reader's language."""
    request = context.get("request")
    user = getattr(request, "user", None)
    list_name = list_for_path(request.path) if request is not None else None
    if list_name is None or not getattr(user, "is_authenticated", False):
        return ""
    current = normalize(request.GET)
    tabs = []
    for t in tabs_of(user, list_name, context.get("layout_cache")):
        mark = ' aria-current="page"' if t.query == current else ""
        owner = ""
        if t.shared:
            whose = w["shared"] if t.owner_id == user.pk else escape(t.owner_name)
            owner = f' <span class="muted">· {whose}</span>'
        tabs.append(
            f'<li><a class="view-tab" {_swap(escape(t.url), target)}{mark}>{escape(t.name)}{owner}</a></li>'
        )
    manage = (
        f'<li><a class="view-tab view-manage" href="{escape(reverse("saved-views"))}">{w["manage"]}</a></li>'
    )
    return (
        '<div class="saved-views">\n'
        f'<nav aria-label="{w["saved_views"]}">\n<ul class="view-tabs">\n{"".join(tabs)}\n{manage}\n</ul>\n</nav>\n'
        f'<details class="save-view">\n<summary class="btn btn-small">{w["save_this"]}</summary>\n'
        f'<form method="post" action="{escape(reverse("saved-view-save"))}" class="inline-form">\n'
        f"{csrf_input(request)}\n"
        f'<input type="hidden" name="list_name" value="{escape(list_name)}">\n'
        f'<input type="hidden" name="query" value="{escape(current)}">\n'
        f'<label for="{target}-view-name">{w["name"]}</label>\n'
        f'<input id="{target}-view-name" name="name" maxlength="60" required>\n'
        f'<label class="check"><input type="checkbox" name="shared" value="on"> {w["share"]}</label>\n'
        f'<button type="submit" class="btn btn-small btn-primary">{w["save"]}</button>\n'
        "</form>\n</details>\n</div>\n"
    )


# -- the pager -------------------------------------------------------------------------------------------------


@register.simple_tag(takes_context=True)
def pager(
    context: Any, target: str, page: KeysetPage | None = None, list_url: str | None = None
) -> SafeString:
    """The one pager (voipadmin/core/keyset.py), inside the swapped fragment: First / Previous / Next, each a real
    link. ``page`` and ``list_url`` default to the context's; ``list_url`` is given where the page's own path is
    not the list's. Reads ``page_form`` where the list has no filter form; ``embedded`` (the device panel) links
    to the full list instead of swapping."""
    w = _words(get_language())
    request = context["request"]
    page = context.get("page") if page is None else page
    url = escape(context.get("list_url") or "" if list_url is None else list_url)
    target = escape(target)
    embedded = context.get("embedded")
    parts = []
    page_form = context.get("page_form")
    if page_form is not None and page_form.errors:
        again = w["again"]
        parts.append(
            f'<div class="form-error" role="alert">{_joined(page_form["cursor"].errors)} '
            f'<a href="{escape(request.path)}">{again}</a></div>\n'
        )
    if page is not None and page.has_other_pages:
        links = []
        if embedded:
            if page.next_cursor:
                device = escape(_quoted(context["device"].device_id))
                links.append(
                    f'<a class="btn btn-small" href="{url}?device={device}&amp;cursor={escape(_quoted(page.next_cursor))}">'
                    f"{w['next']}</a>"
                )
        else:
            get = request.GET
            if not page.is_first:
                links.append(_page_link(url, _query(get, None), target, "", w["first"]))
            if page.prev_cursor:
                links.append(
                    _page_link(url, _query(get, page.prev_cursor), target, ' rel="prev"', w["previous"])
                )
            if page.next_cursor:
                links.append(_page_link(url, _query(get, page.next_cursor), target, ' rel="next"', w["next"]))
            if page.total:
                links.append(total_label(page.total))
        parts.append(f'<nav class="pager" aria-label="{w["pages"]}">\n{NL.join(links)}\n</nav>\n')
    elif page is not None and page.total and page.total.count:
        parts.append(f'<p class="pager muted">{total_label(page.total)}</p>\n')
    # Every value from the request, the page or a label is escaped above; the rest is this module's markup.
    return mark_safe("".join(parts))  # noqa: S308


def _quoted(value: Any) -> str:
    """``{{ value|urlencode }}``."""
    return quote(str(value), safe="/")


def _query(get: Any, cursor: str | None) -> str:
    """``{% querystring cursor=… page=None %}``: the request's query with this page's cursor, without ``page``."""
    return querystring(None, get, cursor=cursor, page=None)


def _page_link(url: str, query: str, target: str, rel: str, label: str) -> str:
    href = f"{url}{escape(query)}"
    return f'<a class="btn btn-small"{rel} {_swap(href, target, " show:top")}>{label}</a>'


def total_label(total: Total) -> str:
    """A list's size: exact, or the database's estimate, which says "about"."""
    if total.estimated:
        shown = gettext("about %(n)s rows") % {"n": escape(total.shown)}
    else:
        shown = ngettext("%(n)s row", "%(n)s rows", total.count) % {
            "n": escape(total.shown),
            "counter": total.count,
        }
    return f'<span class="muted list-total">{shown}</span>'
