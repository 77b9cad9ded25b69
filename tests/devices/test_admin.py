"""Django admin's read-only lists of the mirror: each renders for a superuser and offers no change."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import AuditEventFactory, DeviceFactory, HomeFactory

CHANGELISTS = ["/admin/devices/home/", "/admin/devices/device/", "/admin/voipadmin/auditevent/"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", CHANGELISTS)
def test_the_admin_lists_the_mirror_read_only(admin_client: Client, url: str) -> None:
    home = HomeFactory(name="王家")
    DeviceFactory(home=home, name="门铃")
    AuditEventFactory()
    response = admin_client.get(url)
    assert response.status_code == 200
    assert admin_client.get(url + "?q=门").status_code == 200
    assert f"{url}add/" not in response.content.decode()  # read-only: nothing to add
