from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import (
    AuditEventFactory,
    CloudUserFactory,
    DeviceFactory,
    DeviceServiceFactory,
    HomeFactory,
    VoipAuthStateFactory,
    WeChatIdentityFactory,
)

pytestmark = pytest.mark.django_db

LIST_URLS = ["/homes/", "/devices/", "/audit/", "/search/?q=Door"]
HOSTILE = [
    "<script>alert(1)</script>",
    "' OR 1=1; DROP TABLE devices_device; --",
    "%' UNION SELECT password FROM auth_user --",
    "通话\x00",
]


@pytest.fixture
def world() -> dict:
    home = HomeFactory(name="张家")
    devices = [DeviceFactory(home=home) for _ in range(3)]
    VoipAuthStateFactory(device=devices[0], is_auth=True, wechat_authorized=True)
    VoipAuthStateFactory(device=devices[1], is_auth=True, wechat_authorized=False)
    DeviceServiceFactory(device=devices[2], end_at=timezone.now() + dt.timedelta(days=3))
    DeviceServiceFactory(device=devices[2], code="expired", end_at=timezone.now() - dt.timedelta(days=3))
    return {"home": home, "devices": devices}


@pytest.mark.parametrize("url", LIST_URLS)
def test_every_persona_reads_every_list(persona_client: Client, world: dict, url: str) -> None:
    assert persona_client.get(url).status_code == 200


@pytest.mark.parametrize("url", ["/homes/", "/devices/", "/search/?q=x"])
def test_anonymous_goes_to_login(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_device_filters(viewer_client: Client, world: dict) -> None:
    devices = world["devices"]
    drift = viewer_client.get("/devices/?auth=drift").context["page"].object_list
    assert [d.device_id for d in drift] == [devices[1].device_id]
    in_sync = viewer_client.get("/devices/?auth=in_sync").context["page"].object_list
    assert [d.device_id for d in in_sync] == [devices[0].device_id]
    never = {d.device_id for d in viewer_client.get("/devices/?auth=never").context["page"].object_list}
    assert never == {devices[2].device_id}
    expiring = viewer_client.get("/devices/?expiring=7").context["page"].object_list
    assert [d.device_id for d in expiring] == [devices[2].device_id]
    DeviceFactory(vas_types=[0], voip_capable=False)
    storage_only = viewer_client.get("/devices/?vas_type=0&voip=no").context["page"].object_list
    assert len(storage_only) == 1 and storage_only[0].vas_types == [0]
    by_uuid = viewer_client.get(f"/devices/?q={devices[0].uuid}").context["page"].object_list
    assert [d.device_id for d in by_uuid] == [devices[0].device_id]


def test_device_page_shows_services_with_days_left_and_expired_in_red(
    viewer_client: Client, world: dict
) -> None:
    device = world["devices"][2]
    html = viewer_client.get(f"/devices/{device.device_id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<span class="expired">expired</span>' in html
    assert device.uuid in html and world["home"].name in html


@pytest.mark.parametrize("panel", ["services", "voip", "audit"])
def test_device_panels_are_fragments(viewer_client: Client, world: dict, panel: str) -> None:
    device = world["devices"][0]
    response = viewer_client.get(f"/devices/{device.device_id}/panels/{panel}/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"<html" not in response.content and f'id="{panel}-panel"'.encode() in response.content


def test_unknown_panel_and_device_are_404(viewer_client: Client, world: dict) -> None:
    assert viewer_client.get(f"/devices/{world['devices'][0].device_id}/panels/nope/").status_code == 404
    assert viewer_client.get("/devices/does-not-exist/").status_code == 404


@pytest.mark.parametrize("url", ["/homes/", "/devices/", "/audit/"])
def test_list_query_count_does_not_grow_with_rows(
    viewer_client: Client, django_assert_max_num_queries, url: str
) -> None:
    for _ in range(60):
        device = DeviceFactory()
        VoipAuthStateFactory(device=device)
        AuditEventFactory(device_id=device.device_id)
    with django_assert_max_num_queries(12):
        assert viewer_client.get(url).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "vas_type=banana",
        "vas_type=99",
        "voip=maybe",
        "auth=sideways",
        "expiring=-1",
        "expiring=abc",
        "expiring=99999999999",
        "q=" + "x" * 10_000,
    ],
)
def test_bad_device_filters_are_a_400_with_the_forms_message(viewer_client: Client, query: str) -> None:
    response = viewer_client.get(f"/devices/?{query}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert b'class="form-error"' in response.content


@pytest.mark.parametrize("page", ["abc", "-1", "0", "99999999", "1e9", "9" * 40])
@pytest.mark.parametrize("url", ["/homes/", "/devices/", "/audit/"])
def test_an_old_page_number_is_ignored_the_first_page(
    viewer_client: Client, world: dict, url: str, page: str
) -> None:
    response = viewer_client.get(url, {"page": page})
    assert response.status_code == 200
    assert response.context["page"].is_first


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("url", ["/homes/", "/devices/", "/search/", "/audit/"])
def test_hostile_search_text_is_escaped(viewer_client: Client, world: dict, url: str, text: str) -> None:
    param = "actor" if url == "/audit/" else "q"
    response = viewer_client.get(url, {param: text})
    assert response.status_code in (200, 400)
    assert b"<script>alert(1)</script>" not in response.content


@pytest.mark.parametrize(
    "query",
    ["from=2026-13-01", "from=2026-02-01&to=2026-01-01", "result=maybe", "to=yesterday", "action=nope"],
)
def test_bad_audit_filters_are_a_400(viewer_client: Client, query: str) -> None:
    assert viewer_client.get(f"/audit/?{query}").status_code == 400


def test_audit_filters(viewer_client: Client) -> None:
    AuditEventFactory(actor_name="alice", action="exchange_code_redeem", result="failed", device_id="d1")
    AuditEventFactory(actor_name="bob", action="voip_auth_user_set", result="ok", device_id="d2")
    page = viewer_client.get("/audit/?actor=alice&result=failed&device=d1").context["page"]
    assert [(e.actor_name, e.device_id) for e in page.object_list] == [("alice", "d1")]
    today = timezone.localdate().isoformat()
    assert len(viewer_client.get(f"/audit/?from={today}&to={today}").context["page"].object_list) == 2


def test_search_jumps_to_an_exact_id(viewer_client: Client, world: dict) -> None:
    device = world["devices"][0]
    assert (
        viewer_client.get("/search/", {"q": device.device_id})["Location"] == f"/devices/{device.device_id}/"
    )
    assert viewer_client.get("/search/", {"q": device.uuid})["Location"] == f"/devices/{device.device_id}/"
    home = world["home"]
    assert viewer_client.get("/search/", {"q": home.owner_id})["Location"] == f"/homes/{home.owner_id}/"
    identity = WeChatIdentityFactory()
    assert viewer_client.get("/search/", {"q": identity.open_id})["Location"] == f"/users/{identity.user_id}/"
    user = CloudUserFactory()
    assert viewer_client.get("/search/", {"q": user.user_id})["Location"] == f"/users/{user.user_id}/"


def test_search_lists_grouped_matches_and_answers_htmx_with_a_fragment(
    viewer_client: Client, world: dict
) -> None:
    CloudUserFactory(user_name="Doorman Li")
    response = viewer_client.get("/search/", {"q": "Door"}, HTTP_ACCEPT_LANGUAGE="en")
    titles = [g.title for g in response.context["groups"]]
    assert titles == ["Devices", "Users"]
    fragment = viewer_client.get("/search/", {"q": "Door"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in fragment.content and b'id="search-results"' in fragment.content
    # While typing, an exact id is offered, not jumped to.
    device = world["devices"][0]
    typing = viewer_client.get("/search/", {"q": device.device_id, "dropdown": "1"}, HTTP_HX_REQUEST="true")
    assert typing.status_code == 200 and f"/devices/{device.device_id}/".encode() in typing.content


def test_search_groups_list_id_matches_first_then_names_in_their_order_bounded(viewer_client: Client) -> None:
    """Each group: ids starting with the query (by id), then names matching it (upper-cased, by code point),
    each row once, twenty at most and "more" when there are more."""
    CloudUserFactory(user_id="ab-2", user_name="zed"), CloudUserFactory(user_id="ab-1", user_name="Abe")
    for user_id, name in [("u3", "abby"), ("u1", "ABC"), ("u2", "Ab c"), ("u0", "Abe"), ("u9", "xab")]:
        CloudUserFactory(user_id=user_id, user_name=name)
    found = viewer_client.get("/search/", {"q": "ab"}, HTTP_ACCEPT_LANGUAGE="en").context["groups"]
    (users,) = found
    # "ab-1" is both an id match and a name match: listed once, with the ids. "xab" only holds "ab".
    assert [hit.id for hit in users.items] == ["ab-1", "ab-2", "u2", "u3", "u1", "u0"] and not users.more
    assert [hit.label for hit in users.items][2:] == ["Ab c", "abby", "ABC", "Abe"]

    for n in reversed(range(21)):
        DeviceFactory(name=f"Lobby {n:02d}")
    devices = viewer_client.get("/search/", {"q": "Lobby"}, HTTP_ACCEPT_LANGUAGE="en").context["groups"][0]
    assert [hit.label for hit in devices.items] == [f"Lobby {n:02d}" for n in range(20)] and devices.more
    twenty = viewer_client.get("/search/", {"q": "Lobby 0"}, HTTP_ACCEPT_LANGUAGE="en").context["groups"][0]
    assert len(twenty.items) == 10 and not twenty.more


def test_lists_are_in_the_names_search_order_and_an_id_is_found_beside_its_namesakes(
    viewer_client: Client,
) -> None:
    """Homes and devices by name upper-cased, by code point (the order their name search reads an index in); a
    query that is a home's id lists that home with the homes whose names start so."""
    for owner_id, name in [("h1", "b home"), ("h2", "A home"), ("h3", "a2"), ("h4", "Z"), ("ab", "王家")]:
        HomeFactory(owner_id=owner_id, name=name)
    listed = viewer_client.get("/homes/").context["page"].object_list
    assert [h["name"] for h in listed] == ["A home", "a2", "b home", "Z", "王家"]
    HomeFactory(owner_id="h9", name="ab cd")
    found = viewer_client.get("/homes/", {"q": "ab"}).context["page"].object_list
    assert [h["owner_id"] for h in found] == ["h9", "ab"]  # "AB CD" < "王家"
    assert [h["owner_id"] for h in viewer_client.get("/homes/", {"q": "a"}).context["page"].object_list] == [
        "h2",
        "h3",
        "h9",
    ]
    for name in ("door", "Door 2", "DOOR 1"):
        DeviceFactory(name=name)
    assert [d.name for d in viewer_client.get("/devices/", {"q": "do"}).context["page"].object_list] == [
        "door",
        "DOOR 1",
        "Door 2",
    ]


def test_a_short_name_matches_from_the_start_and_the_page_says_so(viewer_client: Client) -> None:
    """One or two characters match a name's start (served by the trigram index), three or more anywhere."""
    first, inner = HomeFactory(name="王伟的家"), HomeFactory(name="老王伟家")
    lead, tail = DeviceFactory(name="王伟 门铃", home=first), DeviceFactory(name="门铃 王伟", home=inner)
    CloudUserFactory(user_name="王伟"), CloudUserFactory(user_name="李王伟")
    note = "One or two characters match the start of a name"
    for q, homes, devices in (("王伟", {first}, {lead}), ("王伟的", {first}, set()), ("伟家", set(), set())):
        page = viewer_client.get("/homes/", {"q": q}, HTTP_ACCEPT_LANGUAGE="en")
        assert {h["owner_id"] for h in page.context["page"].object_list} == {
            h.pk for h in homes
        }  # rows: .values()
        assert (note in page.content.decode()) == (len(q) < 3)
        listed = viewer_client.get("/devices/", {"q": q}).context["page"].object_list
        assert set(listed) == devices
    wide = viewer_client.get("/devices/", {"q": "王伟 门"}).context["page"].object_list
    assert set(wide) == {lead}
    assert set(viewer_client.get("/devices/", {"q": "门铃 王"}).context["page"].object_list) == {tail}
    # Undo: clearing the search drops the note and lists both again.
    cleared = viewer_client.get("/homes/", {"q": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert note not in cleared.content.decode() and {first.pk, inner.pk} <= {
        h["owner_id"] for h in cleared.context["page"].object_list
    }
    found = viewer_client.get("/search/", {"q": "王伟"}, HTTP_ACCEPT_LANGUAGE="en")
    by_title = {g.title: [hit.label for hit in g.items] for g in found.context["groups"]}
    assert by_title == {"Devices": ["王伟 门铃"], "Homes": ["王伟的家"], "Users": ["王伟"]}
    assert note in found.content.decode()
    # Nothing starts with "伟家": the page says why a name that holds it was not found.
    nothing = viewer_client.get("/search/", {"q": "伟家"}, HTTP_ACCEPT_LANGUAGE="en")
    assert nothing.context["groups"] == [] and note in nothing.content.decode()
    anywhere = viewer_client.get("/search/", {"q": "王伟家"}, HTTP_ACCEPT_LANGUAGE="en")
    assert [g.title for g in anywhere.context["groups"]] == [
        "Homes"
    ] and note not in anywhere.content.decode()


def test_home_page_lists_its_devices(viewer_client: Client, world: dict) -> None:
    other = DeviceFactory()
    html = viewer_client.get(f"/homes/{world['home'].owner_id}/").content.decode()
    assert all(d.device_id in html for d in world["devices"]) and other.device_id not in html
