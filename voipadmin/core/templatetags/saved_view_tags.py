"""``{% saved_views_bar target %}``: the saved views of the list on this page as tabs, and "save this view"."""

from __future__ import annotations

from typing import Any

from django import template

from voipadmin.core.saved_views import list_for_path, normalize, tabs_of

register = template.Library()


@register.inclusion_tag("_saved_views.html", takes_context=True)
def saved_views_bar(context: dict[str, Any], target: str) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    list_name = list_for_path(request.path) if request is not None else None
    if list_name is None or not getattr(user, "is_authenticated", False):
        return {"list_name": None}
    current = normalize(request.GET)
    return {
        "list_name": list_name,
        "target": target,
        "query": current,
        "tabs": [
            {"view": t, "url": t.url, "current": t.query == current, "mine": t.owner_id == user.pk}
            for t in tabs_of(user, list_name, context.get("layout_cache"))
        ],
        "csrf_token": context.get("csrf_token"),
    }
