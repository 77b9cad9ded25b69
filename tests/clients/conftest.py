"""Fixtures for the client tests: real clients talking HTTP to the sandbox, each with its own cache and pool.

Nothing here mocks a client. ``CountingAdapter`` only counts what our own pool sends, so a test can tell how
many attempts a call made (a hook on responses would miss the attempts that timed out).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.utils import translation
from requests.adapters import HTTPAdapter

from tests.fixtures.sandbox import Sandbox
from voipadmin.core.clients import CloudClient, WeChatClient
from voipadmin.core.clients.models import DeviceCapability, VoipAuthUser

APPS = {
    "wx5d1ac9e5a7f0b001": "sandbox-wechat-secret-001",
    "wx5d1ac9e5a7f0b002": "sandbox-wechat-secret-002",
    "wx5d1ac9e5a7f0b003": "sandbox-wechat-secret-003",
}


class CountingAdapter(HTTPAdapter):
    """Counts every request our pool sends, by path, whether or not an answer came back."""

    def __init__(self) -> None:
        super().__init__(pool_connections=2, pool_maxsize=8, max_retries=0)
        self.sent: Counter[str] = Counter()
        self.headers: list[dict[str, str]] = []

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        self.sent[urlsplit(request.url or "").path] += 1
        response = super().send(request, *args, **kwargs)
        self.headers.append(dict(response.headers))
        return response

    def count(self, prefix: str) -> int:
        return sum(n for path, n in self.sent.items() if path.startswith(prefix))


def counted_session() -> tuple[requests.Session, CountingAdapter]:
    session = requests.Session()
    adapter = CountingAdapter()
    session.mount("http://", adapter)
    return session, adapter


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Labels are translated; the tests read them in English."""
    with translation.override("en"):
        yield


@pytest.fixture
def local_cache(settings: Any, db: None) -> None:
    """A cache of this test's own (the token store), so no token leaks between tests; the database holds the
    token's refresh lock (voipadmin/core/locks.py) where there is no Redis."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    }


@dataclass
class CloudRig:
    client: CloudClient
    wire: CountingAdapter
    box: Sandbox


@pytest.fixture
def cloud(sandbox_settings: Sandbox, local_cache: None) -> CloudRig:
    """A CloudClient on the clean sandbox, fast backoff, its own pool (counted)."""
    session, adapter = counted_session()
    client = CloudClient.from_settings(session=session, backoff=0.01, timeout=3.0, max_attempts=3)
    return CloudRig(client, adapter, sandbox_settings)


@pytest.fixture
def make_wechat(
    sandbox_settings: Sandbox, local_cache: None
) -> Callable[..., tuple[WeChatClient, CountingAdapter]]:
    def make(app_id: str = "wx5d1ac9e5a7f0b001", **kw: Any) -> tuple[WeChatClient, CountingAdapter]:
        session, adapter = counted_session()
        kw.setdefault("backoff", 0.01)
        kw.setdefault("timeout", 3.0)
        return WeChatClient.from_settings(app_id, session=session, **kw), adapter

    return make


@dataclass(frozen=True)
class VoipDevice:
    id: str
    name: str
    uuid: str
    owner_id: str
    capability: DeviceCapability
    auth: VoipAuthUser
    open_id: str


def find_voip_device(client: CloudClient, pred: Callable[[VoipDevice], bool] = lambda d: True) -> VoipDevice:
    """The first VoIP device (with an auth user and that user's openId) matching ``pred``, found via the client."""
    for page in client.iter_devices_changed(page_size=100):
        for dev in page:
            cap = client.get_device_capability(dev.id)
            auth = client.get_voip_auth_user(dev.id) if cap else None
            if cap is None or auth is None or dev.uuid is None or dev.owner_id is None:
                continue
            info = client.get_device_wx_user_info(cap.app_id, auth.user_id)
            found = VoipDevice(dev.id, dev.name, dev.uuid, dev.owner_id, cap, auth, info.open_id)
            if pred(found):
                return found
    raise LookupError("no such VoIP device in the sandbox world")


@pytest.fixture
def voip_device(cloud: CloudRig) -> VoipDevice:
    return find_voip_device(cloud.client)
