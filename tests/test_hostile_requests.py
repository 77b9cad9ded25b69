"""No request a client can send makes a 500: every URL of the resolver, every parameter the forms declare.

Two parts, both on every CI leg: Hypothesis (``derandomize=True``, so a run is repeatable) sends GET and POST
requests as each role with generated values; a named corpus of hostile inputs goes to every list's parameters
and into every id in a path. Either fails on any 5xx.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import django_filters
import pytest
from django import forms
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import DeviceFactory, HomeFactory, VoipAuthStateFactory
from tests.hostile_corpus import CORPUS
from voipadmin.core.roles import ROLES

pytestmark = pytest.mark.django_db
SKIP = ("/admin/", "/healthz", "/i18n/", "/csp-report/", "/accounts/logout/")


def _patterns(resolver: URLResolver, prefix: str = "") -> Iterator[str]:
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, pattern)
        elif isinstance(entry, URLPattern):
            yield "/" + pattern


def url_templates() -> list[str]:
    """Every URL of the product, converters left in place (``<id:device_id>``, ``<int:run_id>``)."""
    return sorted(p for p in set(_patterns(get_resolver())) if not p.startswith(SKIP) and "(?P" not in p)


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def declared_params() -> list[str]:
    """Every parameter name a form or filter of the product declares (the URL conf imports them all)."""
    get_resolver().url_patterns  # noqa: B018 -- imports every view, and so every form
    names: set[str] = {"page", "format", "dropdown", "confirmed", "once", "cursor", "q"}
    for form in _subclasses(forms.Form):
        if form.__module__.split(".")[0] in {"voipadmin", "devices", "mall"}:
            names |= set(form.base_fields)
    for filterset in _subclasses(django_filters.FilterSet):
        if filterset.__module__.split(".")[0] in {"voipadmin", "devices", "mall"}:
            names |= set(filterset.base_filters)
    names |= {"t1-every_minutes", "t1-enabled"}  # the schedule form's prefixed fields
    return sorted(names)


def fill(template: str, value: str) -> str:
    path = re.sub(r"<int:\w+>", "1" if not value.isascii() or not value.isdigit() else value[:9], template)
    return re.sub(r"<(?:\w+:)?\w+>", lambda _: value, path)


@pytest.fixture
def clients(db: None) -> dict[str, Client]:
    """A logged-in client per role, and a little of the mirror, so detail pages have something to find."""
    home = HomeFactory(owner_id="h1")
    VoipAuthStateFactory(device=DeviceFactory(device_id="d1", home=home))
    out = {}
    for role in ROLES:
        user = User.objects.create_user(username=f"fuzz-{role}", password="x" * 16)
        user.groups.add(Group.objects.get(name=role))
        client = Client(raise_request_exception=False)
        client.force_login(user)
        out[role] = client
    return out


def _check(response, what: str) -> None:
    assert response.status_code < 500, f"{response.status_code} for {what}"


TEMPLATES = url_templates()
PARAMS = declared_params()
text = st.one_of(st.text(max_size=40), st.sampled_from([v for _, v in CORPUS]), st.integers().map(str))


@settings(
    derandomize=True,
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    template=st.sampled_from(TEMPLATES),
    path_value=text,
    role=st.sampled_from(ROLES),
    method=st.sampled_from(["GET", "POST"]),
    params=st.dictionaries(st.sampled_from(PARAMS), text, max_size=4),
    htmx=st.booleans(),
)
def test_no_generated_request_is_a_500(
    clients: dict[str, Client],
    template: str,
    path_value: str,
    role: str,
    method: str,
    params: dict[str, str],
    htmx: bool,
) -> None:
    path = fill(template, path_value.replace("/", "_").replace("?", "_").replace("#", "_") or "x")
    client = clients[role]
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    call = client.get if method == "GET" else client.post
    _check(call(path, params, **headers), f"{method} {path} {params} as {role}")


def test_the_corpus_of_hostile_inputs_is_large_and_named() -> None:
    names = [name for name, _ in CORPUS]
    assert len(CORPUS) >= 300 and len(set(names)) == len(names)


@pytest.mark.parametrize("chunk", range(6))
def test_no_input_of_the_corpus_is_a_500(clients: dict[str, Client], chunk: int) -> None:
    """Each hostile input in a path id, as every declared parameter at once, and as one parameter alone of
    three lists (rotating, so every list meets every parameter), as ops."""
    client = clients["ops"]
    lists = [t for t in TEMPLATES if "<" not in t]
    ids = [t for t in TEMPLATES if "<id:" in t and not t.endswith(("/refresh/", "/purchase/"))]
    pairs = [(target, param) for target in lists for param in PARAMS]
    for i, (name, value) in list(enumerate(CORPUS))[chunk::6]:
        safe = value.replace("/", "_").replace("?", "_").replace("#", "_") or "x"
        path = fill(ids[i % len(ids)], safe)
        _check(client.get(path), f"{name}: GET {path}")
        target = lists[i % len(lists)]
        everything = dict.fromkeys(PARAMS, value)
        _check(client.get(target, everything), f"{name}: GET {target} with every parameter")
        _check(client.post(target, everything), f"{name}: POST {target} with every parameter")
        for k in range(3):
            target, param = pairs[(3 * i + k) % len(pairs)]
            _check(client.get(target, {param: value}), f"{name}: GET {target}?{param}=…")
