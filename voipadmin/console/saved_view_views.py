"""/views/: save a list's filters under a name, rename or delete one's own views, and (ops) pin shared ones."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from voipadmin.core.models import SavedView
from voipadmin.core.paging import HtmxHttpRequest
from voipadmin.core.saved_views import MAX_QUERY, normalize, view_url, visible_views


class SavedViewForm(forms.Form):
    list_name = forms.ChoiceField(choices=SavedView.List.choices)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=60, strip=True)
    query = forms.CharField(required=False, max_length=MAX_QUERY)
    shared = forms.BooleanField(label=gettext_lazy("Share with the team"), required=False)


class RenameForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=60, strip=True)


def _own_view(request: HtmxHttpRequest, pk: int) -> SavedView:
    """A view the person sees (404 otherwise) and owns (403 otherwise)."""
    view = visible_views(request.user).filter(pk=pk).first()
    if view is None:
        raise Http404
    if view.owner_id != request.user.pk:
        raise PermissionDenied
    return view


@require_GET
def saved_view_list(request: HtmxHttpRequest) -> HttpResponse:
    views = list(visible_views(request.user).order_by("list_name", "name", "id"))
    context = {
        "views": [{"view": v, "url": view_url(v), "mine": v.owner_id == request.user.pk} for v in views],
        "can_pin": request.user.has_perm("voipadmin.pin_savedview"),
    }
    return render(request, "voipadmin/saved_views.html", context)


@require_POST
def saved_view_save(request: HtmxHttpRequest) -> HttpResponse:
    form = SavedViewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The view was not saved: give it a name of at most 60 characters."))
        return render(
            request, "voipadmin/saved_views.html", {"views": [], "form_errors": form.errors}, status=400
        )
    data = form.cleaned_data
    view, _created = SavedView.objects.update_or_create(
        owner=request.user,
        list_name=data["list_name"],
        name=data["name"],
        defaults={"query": normalize(data["query"]), "shared": data["shared"]},
    )
    messages.success(request, _("Saved the view “%(name)s”.") % {"name": view.name})
    return redirect(view_url(view))


@require_POST
def saved_view_rename(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    view = _own_view(request, pk)
    form = RenameForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Not renamed: give it a name of at most 60 characters."))
        return redirect("saved-views")
    try:
        with transaction.atomic():
            SavedView.objects.filter(pk=view.pk).update(name=form.cleaned_data["name"])
    except IntegrityError:
        messages.error(request, _("Not renamed: you have a view of that list with that name."))
        return redirect("saved-views")
    messages.success(request, _("Renamed to “%(name)s”.") % {"name": form.cleaned_data["name"]})
    return redirect("saved-views")


@require_POST
def saved_view_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    view = _own_view(request, pk)
    view.delete()
    messages.success(request, _("Deleted the view “%(name)s”.") % {"name": view.name})
    return redirect("saved-views")


@require_POST
def saved_view_pin(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm("voipadmin.pin_savedview"):
        raise PermissionDenied
    view = visible_views(request.user).filter(pk=pk, shared=True).first()
    if view is None:
        raise Http404  # only a shared view goes on the overview everyone reads
    pinned = request.POST.get("pinned") == "on"
    SavedView.objects.filter(pk=view.pk).update(pinned=pinned)
    if pinned:
        messages.success(request, _("“%(name)s” is on the overview.") % {"name": view.name})
    else:
        messages.success(request, _("“%(name)s” is off the overview.") % {"name": view.name})
    return redirect("saved-views")
