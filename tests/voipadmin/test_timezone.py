from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests.factories import AuditEventFactory
from voipadmin.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_times_show_in_the_zone_the_user_picks(viewer_client: Client) -> None:
    event = AuditEventFactory(actor_name="tz-check")
    AuditEvent.objects.filter(pk=event.pk).update(created_at=dt.datetime(2026, 3, 1, 4, 30, tzinfo=dt.UTC))
    assert "2026-03-01 12:30:00" in viewer_client.get("/audit/").content.decode()  # Asia/Shanghai by default
    response = viewer_client.post("/i18n/settz/", {"timezone": "UTC", "next": "/audit/"})
    assert response.status_code == 302 and response["Location"] == "/audit/"
    assert "2026-03-01 04:30:00" in viewer_client.get("/audit/").content.decode()


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "<script>"])
def test_an_unknown_zone_is_a_400(viewer_client: Client, zone: str) -> None:
    assert viewer_client.post("/i18n/settz/", {"timezone": zone}).status_code == 400


def test_the_next_url_must_stay_on_this_site(viewer_client: Client) -> None:
    response = viewer_client.post("/i18n/settz/", {"timezone": "UTC", "next": "https://evil.example/"})
    assert response["Location"] == "/"
