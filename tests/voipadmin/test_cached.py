"""The layout's cached values (voipadmin/core/cached.py): served until their source changes, never after."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from voipadmin.core import cached
from voipadmin.core.models import SavedView
from voipadmin.core.roles import OPS, SUPPORT, VIEWER

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _a_cache_worth_it(settings: Any) -> None:
    """Redis where the stack has it; on the embedded default (the database cache, where the source is read
    directly) a cache of this test's own, so what is cached and when it is retired is still tested."""
    if settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache"):
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": uuid.uuid4().hex,
            }
        }


def test_the_database_cache_is_not_used_for_these(settings: Any) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "x"}}
    calls, compute = counting("v")
    cached.read("things", "k", compute)
    cached.read("things", "k", compute)
    assert len(calls) == 2


def counting(value: Any) -> tuple[list[int], Any]:
    calls: list[int] = []

    def compute() -> Any:
        calls.append(1)
        return value

    return calls, compute


def test_a_value_is_computed_once_then_again_after_its_source_changed() -> None:
    calls, compute = counting(["a"])
    assert cached.read("things", "k", compute) == ["a"] and cached.read("things", "k", compute) == ["a"]
    assert len(calls) == 1
    cached.changed("other-things")
    assert cached.read("things", "k", compute) == ["a"] and len(calls) == 1
    cached.changed("things")
    assert cached.read("things", "k", compute) == ["a"] and len(calls) == 2


def test_a_value_read_while_its_source_changed_is_not_served() -> None:
    def racing() -> str:
        cached.changed("things")  # another process changes the source while this one reads it
        return "old"

    assert cached.read("things", "k", racing) == "old"
    calls, compute = counting("new")
    assert cached.read("things", "k", compute) == "new" and len(calls) == 1


def test_none_is_a_value_too() -> None:
    calls, compute = counting(None)
    assert cached.read("things", "k", compute) is None and cached.read("things", "k", compute) is None
    assert len(calls) == 1


def _badge(client: Client) -> str:
    body = client.get("/devices/", **EN).content.decode()
    return body.split('<span class="role-badge">', 1)[1].split("</span>", 1)[0]


def test_the_role_badge_follows_a_change_of_role_at_once(make_user: Any) -> None:
    user = make_user(VIEWER, "changing")
    client = Client()
    client.force_login(user)
    assert _badge(client) == "Viewer" and _badge(client) == "Viewer"
    user.groups.set([Group.objects.get(name=OPS)])
    assert _badge(client) == "Operations"
    user.groups.clear()
    assert _badge(client) == "no role"
    Group.objects.get(name=SUPPORT).user_set.add(user)  # from the group's side
    assert _badge(client) == "Support"


def test_the_tabs_follow_a_new_renamed_or_deleted_view_and_the_owners_new_name(make_user: Any) -> None:
    owner, reader = make_user(SUPPORT, "owner"), make_user(SUPPORT, "reader")
    client = Client()
    client.force_login(reader)
    assert ">Team" not in client.get("/devices/", **EN).content.decode()
    view = SavedView.objects.create(
        owner=owner, list_name="devices", name="Team", query="voip=yes", shared=True
    )
    assert ">Team <span" in client.get("/devices/", **EN).content.decode()
    view.name = "Night shift"
    view.save()
    body = client.get("/devices/", **EN).content.decode()
    assert ">Night shift <span" in body and ">Team" not in body and "· owner<" in body
    owner.username = "lead"
    owner.save()
    assert "· lead<" in client.get("/devices/", **EN).content.decode()
    view.delete()
    assert ">Night shift" not in client.get("/devices/", **EN).content.decode()


def _bell(client: Client) -> str:
    body = client.get("/devices/", **EN).content.decode()
    return body.split('<span class="bell-count">', 1)[1].split("</span>", 1)[0]


def test_the_bell_follows_a_raise_a_clear_and_a_delete_at_once(viewer_client: Client) -> None:
    from django.utils import timezone

    from voipadmin.core.alerts import _clear
    from voipadmin.core.models import Alert, AlertRule

    assert _bell(viewer_client) == "0 open" and _bell(viewer_client) == "0 open"
    rule = AlertRule.objects.get(kind="orders_stuck")
    first = Alert.objects.create(rule=rule, key="a", params={"count": 3, "hours": 24})
    Alert.objects.create(rule=rule, key="b", params={"count": 3, "hours": 24})
    assert _bell(viewer_client) == "2 open"
    assert _clear(first, timezone.now())  # an UPDATE: no signal, the evaluator says it
    assert _bell(viewer_client) == "1 open"
    Alert.objects.filter(key="b").get().delete()
    assert _bell(viewer_client) == "0 open"


def test_a_cache_that_cannot_be_reached_costs_reads_never_the_page(
    settings: Any, make_user: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client()
    client.force_login(
        make_user(VIEWER, "cache-down")
    )  # logged in while the cache answers; then it goes down
    settings.CACHES = {
        "default": {"BACKEND": "voipadmin.core.redis_cache.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"}
    }
    settings.SESSION_ENGINE = "voipadmin.core.sessions"  # the engine with Redis: cached_db that survives this
    with caplog.at_level("WARNING"):
        assert _badge(client) == "Viewer" and _bell(client) == "0 open"
        assert client.get("/devices/", HTTP_HX_REQUEST="true").status_code == 200  # the tabs, from the table
    assert "the cache could not be read" in caplog.text and "read from the database" in caplog.text
