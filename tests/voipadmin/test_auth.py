from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from voipadmin.core.roles import OPS, ROLES, SUPPORT, VIEWER, role_permissions

PUBLIC = {"/accounts/login/", "/healthz", "/i18n/setlang/", "/csp-report/"}
LOGIN_PAGES = ("/accounts/login/", "/admin/login/")


def _paths(resolver: URLResolver, prefix: str = "") -> Iterator[str]:
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _paths(entry, pattern)
        elif isinstance(entry, URLPattern):
            # Fill converters with a harmless value; strip regex anchors from admin's re_path patterns.
            path = re.sub(r"<int:\w+>", "1", pattern)
            path = re.sub(r"<(?:\w+:)?\w+>", "x1", path)
            path = (
                re.sub(r"\(\?P<\w+>[^)]*\)", "x1", path).replace("^", "").replace("$", "").replace("\\", "")
            )
            yield "/" + path


def protected_paths() -> list[str]:
    paths = set(_paths(get_resolver()))
    return sorted(p for p in paths if p not in PUBLIC and not p.startswith(LOGIN_PAGES))


@pytest.mark.django_db
@pytest.mark.parametrize("path", protected_paths())
def test_anonymous_is_sent_to_login(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302, path
    assert response["Location"].startswith(LOGIN_PAGES), response["Location"]


@pytest.mark.django_db
def test_login_and_healthz_are_public(client: Client) -> None:
    assert client.get("/accounts/login/").status_code == 200
    assert client.get("/healthz").status_code in (200, 503)


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "label"), [(OPS, "Operations"), (SUPPORT, "Support"), (VIEWER, "Viewer")])
def test_each_role_logs_in_and_sees_its_role(
    client: Client, make_user: Callable[..., User], role: str, label: str
) -> None:
    make_user(role, username=f"{role}-login", password="correct horse battery")
    response = client.post(
        "/accounts/login/", {"username": f"{role}-login", "password": "correct horse battery"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'<span class="role-badge">{label}</span>' in page


def _codes(perms: set[Permission]) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in perms}


@pytest.mark.django_db
def test_each_role_gets_exactly_its_groups_permissions(make_user: Callable[..., User]) -> None:
    granted = role_permissions()
    for role in ROLES:
        user = make_user(role, username=f"{role}-perm")
        user = User.objects.get(pk=user.pk)  # drop the permission cache
        group_codes = _codes(set(Group.objects.get(name=role).permissions.all()))
        assert user.get_all_permissions() == group_codes == _codes(granted[role])


@pytest.mark.django_db
def test_role_permissions_follow_the_roles(make_user: Callable[..., User]) -> None:
    viewer, support, ops = (
        User.objects.get(pk=make_user(r, username=f"{r}-p").pk) for r in (VIEWER, SUPPORT, OPS)
    )
    assert viewer.has_perm("voipadmin.view_auditevent")
    assert not viewer.has_perm("voipadmin.run_safe_fixes")
    assert not any(
        p.split(".")[1].startswith(("add_", "change_", "delete_")) for p in viewer.get_all_permissions()
    )
    assert support.has_perm("voipadmin.run_safe_fixes")
    assert not support.has_perm("voipadmin.start_reconciliation")
    assert not support.has_perm("voipadmin.manage_schedules")
    assert ops.has_perms(
        ["voipadmin.run_safe_fixes", "voipadmin.start_reconciliation", "voipadmin.manage_schedules"]
    )
    assert viewer.get_all_permissions() < support.get_all_permissions() < ops.get_all_permissions()


@pytest.mark.django_db
def test_ensure_roles_is_idempotent() -> None:
    from voipadmin.core.roles import ensure_roles

    before = {g.name: set(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()}
    ensure_roles()
    ensure_roles()
    after = {g.name: set(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()}
    assert before == after
    assert set(after) == set(ROLES)


@pytest.mark.django_db
def test_failed_logins_are_throttled(client: Client, make_user: Callable[..., User], settings) -> None:
    make_user(VIEWER, username="victim", password="correct horse battery")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "victim", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "victim", "password": "correct horse battery"})
    assert response.status_code in (403, 429)
    assert "/" not in [url for url, _ in getattr(response, "redirect_chain", [])]
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_admin_is_for_superusers_only(viewer_client: Client, make_user: Callable[..., User]) -> None:
    assert viewer_client.get("/admin/").status_code == 302
    admin = make_user(None, username="root-admin")
    admin.is_superuser = admin.is_staff = True
    admin.save()
    client = Client()
    client.force_login(admin)
    assert client.get("/admin/").status_code == 200
