"""What audit rows say, in the reader's language: message codes, action phrases, reasons and cloud codes.

An audit row stores a message code and its parameters (data, never a sentence), and is rendered here when it is
read, so the log and the page that answered the action speak the reader's language and time zone. A shared leaf
of the floor: it imports no app.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, TypeVar

from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from voipadmin.core.enums import OrderStatus

# What an action does, as the object of a sentence ("Done: …", "This will …").
ACTION_PHRASES: dict[str, Any] = {
    "voip_auth_user_set": _("set the VoIP auth user of %(device)s to %(user)s"),
    "exchange_code_redeem": _("redeem exchange code %(code)s (%(catalog)s) on %(device)s"),
    "mall.test_purchase": _("make a test purchase of %(commodity)s (%(option)s) for %(device)s"),
    "reconcile_fix": _("write WeChat's authorization state (%(authorized)s) of %(device)s to the cloud"),
    "voip_auth_recheck": _(
        "observe %(device)s in WeChat now and write WeChat's authorization state to the cloud if they disagree"
    ),
    "reconciliation_start": _("start a reconciliation run"),
    "device_refresh": _("refresh %(device)s from the cloud"),
    "voip_authorization_load": _("load the authorization link of %(device)s"),
    "schedule_update": _("change the schedule %(name)s"),
    "sync_start": _("start %(pass)s of the %(sync_kind)s sync now"),
    "alert_acknowledge": _("acknowledge alert #%(alert)s"),
    "bulk_refresh": _("refresh %(count)s devices from the cloud, one after another"),
    "bulk_recheck": _(
        "re-check the VoIP authorization of %(count)s devices in WeChat now, and write WeChat's state to the "
        "cloud where they disagree"
    ),
    "bulk_reconcile": _("start a reconciliation run over %(count)s VoIP devices: %(where)s"),
    "alert_rule_update": _("change the alert rule %(rule)s"),
}

# The action's name in lists and filters.
ACTION_LABELS: dict[str, Any] = {
    "voip_auth_user_set": _("Set VoIP auth user"),
    "exchange_code_redeem": _("Redeem exchange code"),
    "mall.test_purchase": _("Test purchase"),
    "reconcile_fix": _("Reconciliation fix"),
    "voip_auth_recheck": _("VoIP re-check"),
    "reconciliation_start": _("Start reconciliation run"),
    "device_refresh": _("Refresh from cloud"),
    "voip_authorization_load": _("Load authorization link"),
    "schedule_update": _("Change schedule"),
    "sync_start": _("Start sync pass"),
    "alert_acknowledge": _("Acknowledge alert"),
    "bulk_refresh": _("Bulk refresh"),
    "bulk_recheck": _("Bulk VoIP re-check"),
    "bulk_reconcile": _("Bulk reconciliation run"),
    "alert_rule_update": _("Change alert rule"),
}

MESSAGES: dict[str, Any] = {
    "text": "%(text)s",  # rows written before audit rows held data
    "write.applied": _("Done: %(what)s."),
    "write.refused": _("The cloud refused to %(what)s: %(reason)s."),
    "write.unknown": _(
        "Not known yet whether the cloud did %(what)s: %(failure)s. It is read again at %(reread_at)s."
    ),
    "write.unknown_no_reread": _("Not known yet whether the cloud did %(what)s: %(failure)s."),
    "write.not_sent": _("Not sent: %(what)s — %(reason)s."),
    "voip_auth_user.applied": _("The VoIP auth user of %(device)s is now %(user)s."),
    "exchange_code.applied": _("Code redeemed on %(device)s: %(service)s now ends %(ends)s."),
    "purchase.applied": _(
        "Test order %(order)s created (%(order_status)s); it shows in the orders after the next mall sync."
    ),
    "fix.applied": _(
        "The cloud now holds WeChat's authorization state (%(authorized)s) of %(device)s: observed in WeChat "
        "%(observed_at)s, the cloud last changed %(changed_at)s."
    ),
    "recheck.in_sync": _("Checked just now: the cloud and WeChat agree (%(authorized)s)."),
    "recheck.not_written": _("Drift found and not written: %(reason)s."),
    "recheck.failed": _("The re-check of %(device)s could not finish: %(reason)s."),
    "reconcile.started": _("Run #%(run)s started (dry run: %(dry_run)s)."),
    "refresh.done": _("Refreshed %(device)s from the cloud."),
    "refresh.failed": _("The cloud did not answer the refresh of %(device)s: %(reason)s."),
    "authorization.loaded": _("Loaded the authorization link of %(device)s (a ticket valid for 5 minutes)."),
    "authorization.failed": _("The cloud did not give the authorization link of %(device)s: %(reason)s."),
    "schedule.updated": _("Changed the schedule %(name)s."),
    "sync.started": _("Queued: %(what)s."),
    "sync.refused": _("Not started: %(what)s — a pass of that sync is already running."),
    "alert.acknowledged": _("Acknowledged alert #%(alert)s (%(rule)s)."),
    "alert_rule.updated": _("Changed the alert rule %(rule)s."),
}

SYNC_KINDS: dict[str, Any] = {"devices": _("devices"), "mall": _("mall")}
SYNC_PASSES: dict[str, Any] = {"full": _("a full pass"), "incremental": _("an incremental pass")}

# Why something did not happen; a reason code is a parameter, its words come from here.
REASONS: dict[str, Any] = {
    "answered_false": _("it answered false (no change made)"),
    "cloud_code": _("%(meaning)s (cloud code %(cloud_code)s)"),
    "device_busy": _("another write on this device is under way; try again in a moment"),
    "mirror_lacks": _("the local mirror lacks %(missing)s for this device"),
    "unreachable": _("the cloud could not be reached, so nothing was sent"),
    "in_flight": _("the same form was already submitted and its write is still under way"),
    "no_auth_user": _("the device has no VoIP auth user"),
    "no_wechat_ids": _("the device has no UUID or WeChat model id; sync it first"),
    "wechat_error": _("WeChat answered %(errcode)s (%(errmsg)s)"),
    "not_in_answer": _("WeChat's answer did not include this device"),
    "stale_observation": _("the cloud changed after WeChat was observed"),
    "report_mode": _("reconciliation is in report-only mode"),
    "dry_run": _("dry run"),
    "user_changed": _("the VoIP auth user changed meanwhile"),
    "already_in_sync": _("the cloud already holds that value"),
    "throttled": _("it was refreshed less than %(seconds)s seconds ago"),
    "cloud_read": _("the cloud could not be read (%(error)s)"),
    "not_a_member": _("that user is not a member of the device's home; pick one of its members"),
}

# A failure after which the write may have happened.
FAILURES: dict[str, Any] = {
    "timeout": _("no answer within %(seconds)s s"),
    "http": _("the cloud answered HTTP %(status)s without a result"),
    "connection": _("the connection was lost before an answer"),
    "malformed": _("the answer could not be read (field %(field)s)"),
}

CLOUD_CODES: dict[int, Any] = {
    500: _("the cloud had a system error"),
    1000: _("the data does not exist in the cloud"),
    1010: _("our access token expired"),
    1011: _("our access token is invalid"),
    1100: _("a parameter was refused"),
    1101: _("a parameter was refused"),
    1102: _("a parameter was refused"),
    1106: _("our client is not permitted this call"),
    1108: _("the cloud does not offer this call"),
    1109: _("a parameter was refused (for example an unknown user)"),
    1110: _("too many requests at once"),
    1111: _("the cloud is busy"),
    1199: _("too many requests; slow down"),
    28841004: _("the free trial has already been used"),
    28841105: _("the mini program's AppID is not permitted"),
    28841301: _("this exchange code has already been used"),
    28841302: _("this exchange code has expired"),
    28841303: _("this exchange code is not valid for this device"),
    40000901: _("the device does not exist in the cloud"),
    40000903: _("the device lacks the WeChat VoIP capability"),
}

CATALOGS: dict[str, Any] = {
    "CLOUD_STORAGE": _("cloud storage"),
    "VOIP": _("VoIP calls"),
    "AI": _("AI"),
}

MISSING: dict[str, Any] = {
    "mall": _("mall information"),
    "home": _("home"),
    "app_id": _("WeChat AppID"),
    "open_id": _("openId of the VoIP auth user"),
}


VERDICTS: dict[str, Any] = {
    "in_sync": _("in sync"),
    "fix": _("fix"),
    "report": _("report only"),
    "skip": _("skipped"),
}

# The names of what a row's before/after snapshots hold, for the log's "Change" column.
FIELD_LABELS: dict[str, Any] = {
    "is_auth": _("authorized (cloud)"),
    "wechat_authorized": _("authorized (WeChat)"),
    "user_id": _("VoIP auth user"),
    "services": _("services"),
    "service": _("service"),
    "ends": _("ends"),
    "order_id": _("order"),
    "order_status": _("order status"),
    "dry_run": _("dry run"),
    "mode": _("mode"),
    "every_seconds": _("every (seconds)"),
    "enabled": _("enabled"),
    "verdict": _("verdict"),
    "reason": _("reason"),
    "mall_code": _("mall"),
    "site_code": _("site"),
    "currency": _("currency"),
    "sku_code": _("SKU"),
    "option_type": _("option type"),
    "option_no": _("option"),
}


# Single words a value is put into.
WORDS: dict[str, Any] = {
    "authorized": _("authorized"),
    "not authorized": _("not authorized"),
    "never": _("never"),
    "yes": _("yes"),
    "no": _("no"),
    "no cloud code": _("the cloud gave no code"),
    "cloud refused": _("the cloud refused the call"),
}

K = TypeVar("K")
_IN_LANGUAGE: dict[tuple[str | None, int], dict[Any, str]] = {}


def in_language(table: Mapping[K, Any]) -> dict[K, str]:
    """A module-level table of lazy texts, translated into the active language once per process and language.

    A lazy text is translated again each time it is read (a catalogue lookup, and every label of a choice field
    when a row shows one of them): a 50-row audit page read about 800 of them.
    """
    key = (get_language(), id(table))
    done = _IN_LANGUAGE.get(key)
    if done is None:
        done = _IN_LANGUAGE[key] = {k: str(v) for k, v in table.items()}
    return done


def field_label(key: str) -> str:
    return in_language(FIELD_LABELS).get(key, key)


def cloud_meaning(code: int | None) -> str:
    if code is None:
        return in_language(WORDS)["no cloud code"]
    return in_language(CLOUD_CODES).get(code) or in_language(WORDS)["cloud refused"]


def _when(value: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "Y-m-d H:i:s")


def value_text(key: str, value: Any) -> str:
    """One parameter or snapshot value for people: times in the reader's zone, yes/no, labels, lists joined."""
    if key == "authorized" and isinstance(value, bool):
        return in_language(WORDS)["authorized" if value else "not authorized"]
    if key.endswith("_at") or key == "ends":
        return _when(value) if isinstance(value, str) and value else in_language(WORDS)["never"]
    if key == "order_status" and isinstance(value, str):
        return OrderStatus(value).label
    if key == "sync_kind" and isinstance(value, str):
        return in_language(SYNC_KINDS).get(value, value)
    if key == "pass" and isinstance(value, str):
        return in_language(SYNC_PASSES).get(value, value)
    if key == "catalog" and isinstance(value, str):
        return in_language(CATALOGS).get(value, value)
    if key == "verdict" and isinstance(value, str):
        return in_language(VERDICTS).get(value, value)
    if key == "reason" and isinstance(value, str) and "%(" not in in_language(REASONS).get(value, "%("):
        return in_language(REASONS)[value]
    if key == "missing" and isinstance(value, list):
        return ", ".join(in_language(MISSING).get(v, v) for v in value)
    if isinstance(value, bool):
        return in_language(WORDS)["yes" if value else "no"]
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "—" if value is None or value == "" else str(value)


class _Params(dict):
    """Renders a missing parameter as a dash instead of failing the whole line."""

    def __missing__(self, key: str) -> str:
        return "—"


def _fill(template: Any, values: Mapping[str, Any]) -> str:
    return str(template) % _Params(values)


def _texts(params: Mapping[str, Any]) -> dict[str, str]:
    return {k: value_text(k, v) for k, v in params.items()}


def reason_text(params: Mapping[str, Any], texts: Mapping[str, str] | None = None) -> str:
    """Why a write did not apply; ``texts`` are the parameters already in words, when the caller has them."""
    code = params.get("reason", "")
    if code == "cloud_code":
        return _fill(
            in_language(REASONS)[code], {**params, "meaning": cloud_meaning(params.get("cloud_code"))}
        )
    if code in REASONS:
        return _fill(in_language(REASONS)[code], texts if texts is not None else _texts(params))
    return str(code)


def describe(action: str, params: Mapping[str, Any], texts: Mapping[str, str] | None = None) -> str:
    """What the action does, with its parameters: the object of "Done: …" and of the confirm step."""
    phrase = in_language(ACTION_PHRASES).get(action)
    return _fill(phrase, texts if texts is not None else _texts(params)) if phrase is not None else action


def action_label(action: str) -> str:
    return in_language(ACTION_LABELS).get(action, action)


def render(message: str, action: str, params: Mapping[str, Any]) -> str:
    """The sentence for a message code, in the active language."""
    template = in_language(MESSAGES).get(message)
    if template is None:
        return ""
    texts = _texts(params)  # each parameter in words once: a list page renders 50 of these sentences
    values = {**texts, "what": describe(action, params, texts)}
    if "reason" in params:
        values["reason"] = reason_text(params, texts)
    if "failure" in params:
        failure = in_language(FAILURES).get(params["failure"])
        values["failure"] = _fill(failure, values) if failure is not None else str(params["failure"])
    return _fill(template, values)
