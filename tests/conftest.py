"""Fixtures every test may use: roles and personas, an isolated broker, a real Celery worker."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.test import Client

from voipadmin.core.roles import OPS, SUPPORT, VIEWER, ensure_roles

pytest_plugins = ["tests.fixtures.celery", "tests.fixtures.sandbox"]

_DB_FIXTURES = {
    "db",
    "transactional_db",
    "live_server",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}


@pytest.fixture(autouse=True)
def _roles(request: pytest.FixtureRequest) -> None:
    """Groups are deleted by a test flush; make them again for every test that touches the database.

    The shared cache (tokens, locks, rate limiters) is emptied too: neither Redis nor the cache table is
    rolled back or flushed with the test database, and a lock left by one test would refuse the next.
    """
    uses_db = bool(_DB_FIXTURES & set(request.fixturenames)) or request.node.get_closest_marker("django_db")
    if not uses_db:
        return
    if "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        request.getfixturevalue("transactional_db")
    else:
        request.getfixturevalue("db")
    ensure_roles()
    cache.clear()


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(role: str | None, username: str | None = None, password: str = "correct horse battery") -> User:
        user = User.objects.create_user(username=username or f"{role or 'nobody'}-user", password=password)
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def ops_user(make_user: Callable[..., User]) -> User:
    return make_user(OPS)


@pytest.fixture
def support_user(make_user: Callable[..., User]) -> User:
    return make_user(SUPPORT)


@pytest.fixture
def viewer_user(make_user: Callable[..., User]) -> User:
    return make_user(VIEWER)


def _logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def ops_client(ops_user: User) -> Client:
    return _logged_in(ops_user)


@pytest.fixture
def support_client(support_user: User) -> Client:
    return _logged_in(support_user)


@pytest.fixture
def viewer_client(viewer_user: User) -> Client:
    return _logged_in(viewer_user)


@pytest.fixture(params=[OPS, SUPPORT, VIEWER])
def persona_client(request: pytest.FixtureRequest, make_user: Callable[..., User]) -> Iterator[Client]:
    """A logged-in client for each role in turn."""
    yield _logged_in(make_user(request.param))
