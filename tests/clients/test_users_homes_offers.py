"""The extensions support needs (users with their homes, one home by id) and each device's own offers."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.clients.conftest import CloudRig
from voipadmin.core.clients.errors import DataNotFound


def test_every_user_comes_with_the_homes_they_belong_to(cloud: CloudRig) -> None:
    client = cloud.client
    users = list(client.iter_users())
    homes = {h.owner_id for h in client.iter_homes()}
    assert users and all(u.home_ids and set(u.home_ids) <= homes for u in users)
    assert all(u.modified_at is not None for u in users)
    newest = max(u.modified_at for u in users)
    changed = client.list_users(changed_since=newest).items
    assert changed and all(u.modified_at >= newest for u in changed)
    assert client.list_users(changed_since=newest + dt.timedelta(seconds=1)).items == ()


def test_one_home_by_id_names_its_members_and_an_unknown_one_is_not_found(cloud: CloudRig) -> None:
    client = cloud.client
    user = next(iter(client.iter_users()))
    info = client.get_home(user.home_ids[0])
    assert info.home.owner_id == user.home_ids[0] and user.user_id in info.user_ids
    with pytest.raises(DataNotFound):
        client.get_home("99999999999")


def test_offers_depend_on_the_device(cloud: CloudRig) -> None:
    """A trial only for a device that never had the service; a discount of its own for some devices."""
    client = cloud.client
    devices = [d for h in client.iter_homes() for d in client.get_device_list(h.owner_id).items]
    catalog: dict[tuple[str, int, int], set] = {}
    trial_after_service = []
    for device in devices:
        had = {s.code for s in client.get_service_list_by_device(device.id).items}
        for commodity in client.get_commodity_list(device.id).items:
            for price in commodity.prices:
                key = (commodity.commodity_code, price.option_type, price.option_no)
                catalog.setdefault(key, set()).add((price.price, _has_trial(price)))
                if _has_trial(price) and commodity.service_code in had:
                    trial_after_service.append((device.id, commodity.commodity_code))
    assert trial_after_service == []
    assert any(len(variants) > 1 for variants in catalog.values())  # the same option, offered differently


def _has_trial(price) -> bool:
    strategy = price.marketing_strategy
    return strategy is not None and strategy.trial_unit is not None
