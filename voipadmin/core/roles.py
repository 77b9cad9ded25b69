"""The three roles — ops, support, viewer — as Django groups with their permissions.

Permissions only exist after ``migrate`` has run, so the groups are made on ``post_migrate`` (not in a data
migration) and by the test suite after each flush. ``ensure_roles`` is idempotent: it sets each group's
permissions to exactly what its role grants.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import gettext_lazy as _

from voipadmin.core import cached

OPS, SUPPORT, VIEWER = "ops", "support", "viewer"
ROLES = (OPS, SUPPORT, VIEWER)
ROLE_LABELS = {OPS: _("Operations"), SUPPORT: _("Support"), VIEWER: _("Viewer")}

# Apps whose data every role may read.
READABLE_APPS = ("voipadmin", "devices", "mall", "django_celery_beat")
SUPPORT_ACTIONS = ("voipadmin.run_safe_fixes", "voipadmin.acknowledge_alert")
OPS_ACTIONS = (
    "voipadmin.start_reconciliation",
    "voipadmin.manage_schedules",
    "voipadmin.make_test_purchase",
    "voipadmin.start_sync",
    "voipadmin.change_alertrule",
    "voipadmin.pin_savedview",
    "django_celery_beat.change_periodictask",
)


def _perms(codes: tuple[str, ...]) -> Q:
    query = Q(pk__in=[])
    for code in codes:
        app_label, codename = code.split(".")
        query |= Q(content_type__app_label=app_label, codename=codename)
    return query


def role_permissions() -> dict[str, set[Permission]]:
    """The permissions each role grants, read from the database."""
    view = set(
        Permission.objects.filter(content_type__app_label__in=READABLE_APPS, codename__startswith="view_")
    )
    support = view | set(Permission.objects.filter(_perms(SUPPORT_ACTIONS)))
    ops = support | set(Permission.objects.filter(_perms(OPS_ACTIONS)))
    return {VIEWER: view, SUPPORT: support, OPS: ops}


def ensure_roles() -> None:
    for name, perms in role_permissions().items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(perms)


def role_of(user: Any) -> str | None:
    """The user's role name (the strongest group they are in), or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    names = {g.name for g in user.groups.all()}
    return next((r for r in ROLES if r in names), None)


def role_key(user: Any) -> tuple[str, str]:
    """Where the layout's badge keeps ``role_of(user)`` (voipadmin/core/cached.py)."""
    return ("roles", str(user.pk))


def shown_role_of(user: Any, many: cached.Many | None = None) -> str | None:
    """``role_of`` for the layout's badge, cached until a membership or a group changes (never for access:
    permissions are Django's own checks)."""
    if not getattr(user, "is_authenticated", False):
        return None
    many = many or cached.Many({"role": role_key(user)})
    return many.get("role", lambda: role_of(user))


def connect_role_changes() -> None:
    receiver = cached.changed_on("roles")
    m2m_changed.connect(
        receiver, sender=get_user_model().groups.through, dispatch_uid="voipadmin.roles.memberships"
    )
    post_save.connect(receiver, sender=Group, dispatch_uid="voipadmin.roles.group-saved")
    post_delete.connect(receiver, sender=Group, dispatch_uid="voipadmin.roles.group-deleted")


def on_post_migrate(sender: Any, **kwargs: Any) -> None:
    # post_migrate fires once per app; the last app's signal sees every permission.
    from django.apps import apps

    if sender.label != list(apps.get_app_configs())[-1].label:
        return
    ensure_roles()
    _ensure_cache_table(kwargs.get("using", "default"))


def _ensure_cache_table(using: str) -> None:
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)
