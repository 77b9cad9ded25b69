"""Models that belong to no single app: the audit log, and the permissions that name the product's actions."""

from __future__ import annotations

import datetime as dt

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
    # What happened, as data: a message code (voipadmin/core/audit_messages.py) and its parameters, rendered in the
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
            ("start_sync", _("Can start a sync pass")),
        ]
        # The log's keyset order (voipadmin/core/selectors.py AUDIT_PAGES), alone and after each column filter.
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="audit_keyset"),
            models.Index(fields=["device_id", "-created_at", "-id"], name="audit_device_keyset"),
            models.Index(fields=["action", "-created_at", "-id"], name="audit_action_keyset"),
            models.Index(fields=["actor_name", "-created_at", "-id"], name="audit_actor_keyset"),
        ]

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


class RunState(models.TextChoices):
    """How a long job ended (a sync pass, a reconciliation run); the pages give each state one tone."""

    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("succeeded")
    PARTIAL = "partial", _("partial")
    FAILED = "failed", _("failed")


class SyncRun(models.Model):
    """One pass of a mirror sync (devices or mall): when, how far it got, and what failed.

    ``since`` and ``watermark`` mean the same for both syncs: ``since`` is where this pass began reading
    changes (None: a full pass read everything); ``watermark`` is where the next incremental pass begins (it
    reads from a little before it): the pass's start when nothing failed, else no later than the oldest failure
    still open, so no watermark ever passes a failure.
    """

    class Kind(models.TextChoices):
        DEVICES = "devices", _("devices")
        DEVICE = "device", _("one device")
        MALL = "mall", _("mall")

    State = RunState

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, db_index=True)
    trigger = models.CharField(_("trigger"), max_length=16, default="command")
    full = models.BooleanField(_("full pass"), default=False)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField(_("started"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    since = models.DateTimeField(_("changes since"), null=True, blank=True)
    watermark = models.DateTimeField(_("watermark"), null=True, blank=True)
    counts = models.JSONField(_("counts"), default=dict)
    errors = models.JSONField(_("errors"), default=list)
    # What the pass could not do at all (a cloud without an extension), said once, apart from the failures.
    notes = models.JSONField(_("notes"), default=list, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The Celery task running the pass: a redelivered task knows its own dead attempt by it.
    task_id = models.CharField(_("task"), max_length=64, blank=True, db_index=True)
    # Live progress of the current step, kept in the database so any page (and any process) can show it.
    step = models.CharField(_("step"), max_length=32, blank=True)
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("total"), null=True, blank=True)
    step_started_at = models.DateTimeField(_("step started"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        default_permissions = ("view",)
        # /syncs/ pages by this order, all kinds or one (voipadmin/core/selectors.py SYNC_PAGES).
        indexes = [
            models.Index(fields=["-started_at", "-id"], name="syncrun_keyset"),
            models.Index(fields=["kind", "-started_at", "-id"], name="syncrun_kind_keyset"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.started_at:%Y-%m-%d %H:%M} {self.state}"

    @property
    def duration(self) -> dt.timedelta | None:
        return self.finished_at - self.started_at if self.finished_at else None


class SyncFailure(models.Model):
    """Something a sync pass could not read, kept until a later pass reads it: the next pass retries it first.

    ``since`` is where the pass that first failed it was reading from (its start for a full pass): the watermark
    never moves past the oldest open failure's ``since``."""

    class Scope(models.TextChoices):
        HOME = "home", _("home")
        DEVICE = "device", _("device")
        MALL = "mall", _("mall")
        PAGE = "page", _("page")
        LISTING = "listing", _("listing")

    kind = models.CharField(_("kind"), max_length=16, choices=SyncRun.Kind.choices)
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices)
    key = models.CharField(_("key"), max_length=128)
    reason = models.CharField(_("reason"), max_length=500)
    since = models.DateTimeField(_("changes since"))
    first_failed_at = models.DateTimeField(_("first failed"))
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    run = models.ForeignKey(
        SyncRun, verbose_name=_("last failed in"), on_delete=models.CASCADE, related_name="failures"
    )

    class Meta:
        ordering = ["first_failed_at", "id"]
        verbose_name = _("sync failure")
        verbose_name_plural = _("sync failures")
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(fields=["kind", "scope", "key"], name="syncfailure_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.scope} {self.key}"


class Lock(models.Model):
    """A lock held on the database (voipadmin/core/locks.py): its owner's token and when its lease ends."""

    key = models.CharField(_("key"), max_length=191, primary_key=True)
    owner = models.CharField(_("owner"), max_length=64)
    expires_at = models.DateTimeField(_("expires"))

    class Meta:
        verbose_name = _("lock")
        verbose_name_plural = _("locks")
        default_permissions = ()

    def __str__(self) -> str:
        return self.key


class AlertRule(models.Model):
    """A condition ops want to hear about, with its threshold; made by each app, edited on /alerts/rules/."""

    kind = models.CharField(_("kind"), max_length=32, unique=True)
    threshold = models.PositiveIntegerField(_("threshold"))
    enabled = models.BooleanField(_("enabled"), default=True)
    notify_webhook = models.BooleanField(_("webhook"), default=True)
    notify_mail = models.BooleanField(_("mail"), default=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        ordering = ["kind"]
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        default_permissions = ("view", "change")

    def __str__(self) -> str:
        return self.kind


class Alert(models.Model):
    """One time a rule's condition held for ``key``: raised once, open until the condition clears."""

    rule = models.ForeignKey(
        AlertRule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="alerts"
    )
    # What the condition is about (a sync kind, a run, "orders"): one open alert per rule and key.
    key = models.CharField(_("key"), max_length=128)
    raised_at = models.DateTimeField(_("raised"), auto_now_add=True)
    cleared_at = models.DateTimeField(_("cleared"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    # The figures behind the alert (rendered in the reader's language), and the page that explains it.
    params = models.JSONField(_("summary"), default=dict)
    link = models.CharField(_("link"), max_length=300, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        default_permissions = ("view",)
        permissions = [("acknowledge_alert", _("Can acknowledge an alert"))]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "key"], condition=models.Q(cleared_at=None), name="alert_one_open_per_key"
            ),
        ]
        indexes = [
            models.Index(fields=["cleared_at", "-raised_at"], name="alert_open_time"),
            # The cleared alerts' keyset order (voipadmin/core/selectors.py CLEARED_ALERT_PAGES).
            models.Index(fields=["-cleared_at", "-id"], name="alert_cleared_keyset"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.key} {self.raised_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None


class AlertDelivery(models.Model):
    """One attempt to tell the world outside the console about an alert: channel, event, outcome."""

    class Channel(models.TextChoices):
        WEBHOOK = "webhook", _("webhook")
        MAIL = "mail", _("mail")

    class Event(models.TextChoices):
        RAISED = "raised", _("raised")
        CLEARED = "cleared", _("cleared")

    alert = models.ForeignKey(
        Alert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    event = models.CharField(_("event"), max_length=16, choices=Event.choices)
    attempt = models.PositiveIntegerField(_("attempt"), default=1)
    ok = models.BooleanField(_("delivered"), default=False)
    status_code = models.PositiveIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("alert delivery")
        verbose_name_plural = _("alert deliveries")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.alert_id} {self.channel} {self.event} #{self.attempt}"


class SavedView(models.Model):
    """A list's filters kept under a name (the normalized query string): private, or shared with the team."""

    class List(models.TextChoices):
        DEVICES = "devices", _("devices")
        HOMES = "homes", _("homes")
        ORDERS = "orders", _("orders")
        SUBSCRIPTIONS = "subscriptions", _("subscriptions")
        AUDIT = "audit", _("audit log")
        SYNCS = "syncs", _("sync passes")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="saved_views",
    )
    list_name = models.CharField(_("list"), max_length=16, choices=List.choices)
    name = models.CharField(_("name"), max_length=60)
    query = models.CharField(_("filters"), max_length=1000, blank=True)
    shared = models.BooleanField(_("shared with the team"), default=False)
    # Pinned by ops to the overview as a tile with the count of what the view shows (shared views only).
    pinned = models.BooleanField(_("on the overview"), default=False, db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["list_name", "name", "id"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        default_permissions = ("view",)
        permissions = [("pin_savedview", _("Can pin a shared view to the overview"))]
        constraints = [
            models.UniqueConstraint(fields=["owner", "list_name", "name"], name="savedview_owner_name"),
        ]
        indexes = [models.Index(fields=["list_name", "shared"], name="savedview_list_shared")]

    def __str__(self) -> str:
        return f"{self.list_name}: {self.name}"
