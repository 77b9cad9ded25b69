"""The audit log reads for people: labels, values and sentences in the reader's language and time zone."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import DeviceFactory
from voipadmin.core.audit import audit_record
from voipadmin.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows() -> None:
    DeviceFactory(device_id="dev-door", name="门口门铃")
    audit_record(
        actor=None,
        action="voip_auth_user_set",
        result=AuditEvent.Result.OK,
        message="voip_auth_user.applied",
        params={"device": "门口门铃", "device_id": "dev-door", "user": "张伟", "user_id": "ay1"},
        device_id="dev-door",
        target="ay1",
        before={"user_id": "ay0", "is_auth": False},
        after={"user_id": "ay1", "is_auth": True},
    )
    audit_record(
        actor=None,
        action="exchange_code_redeem",
        result=AuditEvent.Result.UNKNOWN,
        message="write.unknown",
        params={
            "device": "门口门铃",
            "code": "…WXYZ",
            "catalog": "CLOUD_STORAGE",
            "failure": "timeout",
            "seconds": "0.5",
            "reread_at": "2026-11-29T16:00:05+00:00",
        },
        device_id="dev-door",
        cloud_code=None,
    )
    audit_record(
        actor=None,
        action="voip_auth_user_set",
        result=AuditEvent.Result.FAILED,
        message="write.refused",
        params={"device": "门口门铃", "user": "ay9", "reason": "cloud_code", "cloud_code": 1109},
        device_id="dev-door",
        cloud_code=1109,
        cloud_tid="t-123",
        cloud_msg="param is illegal",
    )


def test_in_chinese(rows: None, viewer_client: Client) -> None:
    html = viewer_client.get("/audit/").content.decode()
    assert "设置 VoIP 授权用户" in html and "兑换兑换码" in html  # actions in words
    assert "门口门铃 的 VoIP 授权用户现为 张伟。" in html  # the sentence, from code and parameters
    assert 'VoIP 授权用户:</span> <span class="muted">ay0</span> → ay1' in html  # field labels
    assert '授权（云端）:</span> <span class="muted">否</span> → 是' in html  # yes/no, not True/False
    assert "尚不确定云端是否已执行（在 门口门铃 上兑换兑换码 …WXYZ（云存储））" in html
    assert "2026-11-30 00:00:05" in html  # the re-read time in the reader's zone (Asia/Shanghai)
    assert "参数被拒绝（例如用户不存在）（云端代码 1109）" in html and "t-123" in html
    assert '>门口门铃</a><br><code class="muted">dev-door</code>' in html  # the device's name beside its id
    assert "True" not in html and "voip_auth_user_set" not in html.split("<main")[1].split("<form")[0]


def test_what_the_cloud_and_a_device_name_say_is_text_never_markup(viewer_client: Client) -> None:
    hostile = "<img src=x onerror=alert(1)>"
    audit_record(
        actor=None,
        action="voip_auth_user_set",
        result=AuditEvent.Result.FAILED,
        message="write.refused",
        params={"device": hostile, "user": "ay9", "reason": "cloud_code", "cloud_code": 1109},
        device_id="dev-door",
        before={"auth_user": hostile},
        after={"auth_user": "ay1"},
        cloud_code=1109,
        cloud_tid=hostile,
        cloud_msg=hostile,
    )
    html = viewer_client.get("/audit/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert hostile not in html and html.count("&lt;img src=x onerror=alert(1)&gt;") >= 3
    assert '<span class="badge badge-bad">failed</span>' in html


def test_in_english_and_another_zone(rows: None, viewer_client: Client) -> None:
    session = viewer_client.session
    session["voipadmin_timezone"] = "UTC"
    session.save()
    html = viewer_client.get("/audit/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The VoIP auth user of 门口门铃 is now 张伟." in html
    assert "no answer within 0.5 s" in html and "It is read again at 2026-11-29 16:00:05." in html
    assert "a parameter was refused (for example an unknown user) (cloud code 1109)" in html
    assert 'authorized (cloud):</span> <span class="muted">no</span> → yes' in html
