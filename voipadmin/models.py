"""Models that belong to no single app: the audit log, and the permissions that name the product's actions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One change the product made, or tried to make, in the cloud or the mirror: who, when, what, result."""

    class Result(models.TextChoices):
        # For a write to the cloud: ok = applied, failed = refused by the cloud, unknown = the request may
        # have reached the cloud and no usable answer came back, not_sent = stopped by us before any call.
        OK = "ok", _("ok")
        FAILED = "failed", _("failed")
        UNKNOWN = "unknown", _("unknown")
        NOT_SENT = "not_sent", _("not sent")

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.SET_NULL
    )
    # Kept beside the foreign key so the log still names the actor after the account is gone, and for jobs.
    actor_name = models.CharField(_("actor"), max_length=150)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    result = models.CharField(_("result"), max_length=16, choices=Result.choices, db_index=True)
    device_id = models.CharField(_("device"), max_length=64, blank=True, db_index=True)
    target = models.CharField(_("target"), max_length=128, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    # What happened, as data: a message code (voipadmin/audit_messages.py) and its parameters, rendered in the
    # reader's language when the row is read; never a ticket, a token or a secret.
    message = models.CharField(_("message"), max_length=64, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # The cloud's own words when it answered an error: code, trace id and message.
    cloud_code = models.IntegerField(_("cloud code"), null=True, blank=True)
    cloud_tid = models.CharField(_("cloud trace id"), max_length=64, blank=True)
    cloud_msg = models.CharField(_("cloud message"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        default_permissions = ("view",)
        permissions = [
            ("run_safe_fixes", _("Can run the safe fixes (VoIP auth user, exchange code, re-check)")),
            ("start_reconciliation", _("Can start a reconciliation run")),
            ("manage_schedules", _("Can change and pause scheduled jobs")),
            ("make_test_purchase", _("Can make a test purchase on a sandbox-backed install")),
        ]
        indexes = [models.Index(fields=["device_id", "-created_at"], name="audit_device_time")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.result}"


class WriteToken(models.Model):
    """A form's one-time token: the first submit writes to the cloud, every later one answers its result."""

    key = models.CharField(_("key"), max_length=64, unique=True)
    action = models.CharField(_("action"), max_length=64)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    event = models.ForeignKey(AuditEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("write token")
        verbose_name_plural = _("write tokens")
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.action} {self.key}"


class UserSession(models.Model):
    """One logged-in session of a person: where and when, so they can see it and end it."""

    session_key = models.CharField(_("session"), max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="voipadmin_sessions"
    )
    created_at = models.DateTimeField(_("logged in"), auto_now_add=True)
    seen_at = models.DateTimeField(_("last active"), auto_now_add=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        ordering = ["-seen_at"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"


class SyncRun(models.Model):
    """One pass of a mirror sync (devices or mall): when, how far it got, and what failed."""

    class Kind(models.TextChoices):
        DEVICES = "devices", _("devices")
        DEVICE = "device", _("one device")
        MALL = "mall", _("mall")

    class State(models.TextChoices):
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        PARTIAL = "partial", _("partial")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, db_index=True)
    trigger = models.CharField(_("trigger"), max_length=16, default="command")
    full = models.BooleanField(_("full pass"), default=False)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField(_("started"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # The cloud's clock at the start of the pass: the next incremental pass asks for changes since then.
    since = models.DateTimeField(_("changes since"), null=True, blank=True)
    watermark = models.DateTimeField(_("watermark"), null=True, blank=True)
    counts = models.JSONField(_("counts"), default=dict)
    errors = models.JSONField(_("errors"), default=list)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.kind} {self.started_at:%Y-%m-%d %H:%M} {self.state}"
