"""The local mirror of homes, devices, their value-added services and VoIP authorization state.

Field names are ours (snake_case); the mapping from the cloud's names lives in the sync service.
Every mirrored row records when it was last synced.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voipadmin.core.models import RunState


class Home(models.Model):
    owner_id = models.CharField(_("home id"), max_length=64, primary_key=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    geo_name = models.CharField(_("location"), max_length=200, blank=True)
    cloud_modified_at = models.DateTimeField(_("changed in the cloud"), null=True, blank=True)
    synced_at = models.DateTimeField(_("last synced"), db_index=True)
    # Kept by the devices sync (devices/services/sync.py), so the homes list never counts devices per request.
    device_count = models.PositiveIntegerField(_("devices"), default=0)

    class Meta:
        ordering = ["name", "owner_id"]
        verbose_name = _("home")
        verbose_name_plural = _("homes")
        # The model's order (the admin's, a user's homes). The homes list pages by the name's search key instead,
        # and the name search has its trigram index: both on PostgreSQL only (devices/migrations/0007, 0009).
        indexes = [models.Index(fields=["name", "owner_id"], name="home_name_keyset")]

    def __str__(self) -> str:
        return self.name or self.owner_id


class CloudUser(models.Model):
    """A user of the cloud (an app/mini-program account): every one (ext/listUsers), buyers included."""

    user_id = models.CharField(_("user id"), max_length=64, primary_key=True)
    user_name = models.CharField(_("user name"), max_length=200, blank=True)
    avatar_url = models.URLField(_("avatar"), max_length=500, blank=True)
    cloud_modified_at = models.DateTimeField(_("changed in the cloud"), null=True, blank=True)
    synced_at = models.DateTimeField(_("last synced"))

    class Meta:
        ordering = ["user_name", "user_id"]
        verbose_name = _("cloud user")
        verbose_name_plural = _("cloud users")
        indexes = [models.Index(fields=["user_name"], name="clouduser_name")]

    def __str__(self) -> str:
        return self.user_name or self.user_id


class HomeMember(models.Model):
    """A user belongs to a home (ext/listUsers ``homeIds``): who may be a device's VoIP auth user.

    The home is a loose key: a user may name a home the mirror has not synced yet."""

    user = models.ForeignKey(CloudUser, on_delete=models.CASCADE, related_name="memberships")
    home = models.ForeignKey(
        Home,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="members",
    )
    synced_at = models.DateTimeField(_("last synced"))

    class Meta:
        verbose_name = _("home member")
        verbose_name_plural = _("home members")
        constraints = [models.UniqueConstraint(fields=["home", "user"], name="home_member")]
        indexes = [models.Index(fields=["user", "home"], name="member_user_home")]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.home_id}"


class WeChatIdentity(models.Model):
    """A user's openId within one WeChat mini program (openIds differ per AppID)."""

    user = models.ForeignKey(CloudUser, on_delete=models.CASCADE, related_name="wechat_identities")
    app_id = models.CharField(_("AppID"), max_length=64)
    open_id = models.CharField(_("openId"), max_length=128, db_index=True)
    synced_at = models.DateTimeField(_("last synced"))

    class Meta:
        verbose_name = _("WeChat identity")
        verbose_name_plural = _("WeChat identities")
        constraints = [models.UniqueConstraint(fields=["user", "app_id"], name="wechat_identity_user_app")]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.app_id}"


class Device(models.Model):
    device_id = models.CharField(_("device id"), max_length=64, primary_key=True)
    home = models.ForeignKey(
        Home, verbose_name=_("home"), null=True, blank=True, on_delete=models.SET_NULL, related_name="devices"
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    icon = models.CharField(_("icon"), max_length=500, blank=True)
    location_name = models.CharField(_("location"), max_length=200, blank=True)
    uuid = models.CharField(_("UUID"), max_length=128, blank=True, db_index=True)
    # The value-added service types the device supports (cloud codes; labels in voipadmin.core.clients).
    vas_types = models.JSONField(_("service types"), default=list)
    # The WeChat capability (tyabiwxrn9): None = not checked yet, False = the device lacks it.
    voip_capable = models.BooleanField(_("VoIP capable"), null=True, db_index=True)
    wechat_app_id = models.CharField(_("WeChat AppID"), max_length=64, blank=True)
    wechat_model_id = models.CharField(_("WeChat model id"), max_length=128, blank=True, db_index=True)
    wechat_original_id = models.CharField(_("WeChat original id"), max_length=128, blank=True)
    cloud_modified_at = models.DateTimeField(_("changed in the cloud"), null=True, blank=True)
    synced_at = models.DateTimeField(_("last synced"), db_index=True)
    details_synced_at = models.DateTimeField(_("details last synced"), null=True, blank=True)

    class Meta:
        ordering = ["name", "device_id"]
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        # The model's order alone and after each filter that is a column (the admin's, a home's devices, a
        # commodity's). The devices list pages by the name's search key, whose indexes are PostgreSQL's only
        # (devices/migrations/0009, 0010).
        indexes = [
            models.Index(fields=["name", "device_id"], name="device_name_keyset"),
            models.Index(fields=["home", "name", "device_id"], name="device_home_keyset"),
            models.Index(fields=["voip_capable", "name", "device_id"], name="device_voip_keyset"),
        ]

    def __str__(self) -> str:
        return self.name or self.device_id


class DeviceVasType(models.Model):
    """One row per service type a device supports, so the list filter is an indexed join on any database."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="vas_type_rows")
    vas_type = models.IntegerField(_("service type"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "vas_type"], name="device_vas_type")]
        indexes = [models.Index(fields=["vas_type", "device"], name="vas_type_device")]

    def __str__(self) -> str:
        return f"{self.device_id}:{self.vas_type}"


class DeviceService(models.Model):
    """A value-added service on a device (getServiceListByDevice)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="services")
    code = models.CharField(_("code"), max_length=128)
    name = models.CharField(_("name"), max_length=200, blank=True)
    service_type = models.IntegerField(_("type"), null=True, blank=True)
    start_at = models.DateTimeField(_("starts"), null=True, blank=True)
    end_at = models.DateTimeField(_("ends"), null=True, blank=True, db_index=True)
    is_free = models.BooleanField(_("free"), default=False)
    is_permanent = models.BooleanField(_("permanent"), default=False)
    tags = models.JSONField(_("tags"), default=list)
    synced_at = models.DateTimeField(_("last synced"))

    class Meta:
        ordering = ["service_type", "code"]
        verbose_name = _("service")
        verbose_name_plural = _("services")
        constraints = [models.UniqueConstraint(fields=["device", "code"], name="device_service_code")]

    def __str__(self) -> str:
        return f"{self.device_id}:{self.code}"


class VoipAuthState(models.Model):
    """The device's VoIP auth user and the cloud's stored authorization (getVoipAuthUser)."""

    device = models.OneToOneField(
        Device, on_delete=models.CASCADE, primary_key=True, related_name="voip_auth"
    )
    user = models.ForeignKey(
        CloudUser,
        verbose_name=_("auth user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="voip_devices",
    )
    user_name = models.CharField(_("user name"), max_length=200, blank=True)
    avatar_url = models.URLField(_("avatar"), max_length=500, blank=True)
    is_auth = models.BooleanField(_("authorized (cloud)"), null=True)
    is_valid = models.BooleanField(_("user valid"), null=True)
    open_id = models.CharField(_("openId"), max_length=128, blank=True, db_index=True)
    cloud_auth_updated_at = models.DateTimeField(_("cloud auth changed"), null=True, blank=True)
    synced_at = models.DateTimeField(_("last synced"))
    # WeChat's side, as last observed by reconciliation: None = never checked.
    wechat_authorized = models.BooleanField(_("authorized (WeChat)"), null=True)
    wechat_observed_at = models.DateTimeField(_("WeChat observed at"), null=True, blank=True)
    wechat_observed_run_id = models.BigIntegerField(_("observed by run"), null=True, blank=True)

    class Meta:
        verbose_name = _("VoIP authorization")
        verbose_name_plural = _("VoIP authorizations")

    def __str__(self) -> str:
        return f"{self.device_id}: {self.user_id} auth={self.is_auth}"


# -- reconciliation: the cloud's stored VoIP authorization against WeChat's observation -------------------------
class ReconciliationRun(models.Model):
    """One reconciliation of VoIP authorization: who started it, how it went, and its counts.

    Progress lives in ``ReconciliationChunk`` rows (so several workers can share a run), per-device drift and
    failures in ``ReconciliationItem`` rows; ``counts`` is the sum over the finished chunks.
    """

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("schedule")
        USER = "user", _("user")
        COMMAND = "command", _("command")

    State = RunState

    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    dry_run = models.BooleanField(_("dry run"), default=False)
    # settings.RECONCILE_MODE when the run started: "report" writes nothing, like a dry run.
    mode = models.CharField(_("mode"), max_length=16, default="fix")
    # Empty: every VoIP-capable device; else only this one (``reconcile --device``).
    device_scope = models.CharField(_("device"), max_length=64, blank=True)
    # A bulk action's limit (empty: none): {"devices": [ids]}, {"home": owner_id} or {"model": wechat_model_id}.
    scope = models.JSONField(_("limited to"), default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.RUNNING, db_index=True
    )
    started_at = models.DateTimeField(_("started"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Moved on after every chunk: a running run whose heartbeat is old has lost its worker.
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    planned_at = models.DateTimeField(_("planned"), null=True, blank=True)
    lock_token = models.CharField(max_length=32, blank=True, editable=False)
    counts = models.JSONField(_("counts"), default=dict)
    errors = models.JSONField(_("errors"), default=list)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"#{self.pk} {self.started_at:%Y-%m-%d %H:%M} {self.state}"

    @property
    def writes(self) -> bool:
        """Whether this run pushes WeChat's value to the cloud (not a dry run, not report-only)."""
        return not self.dry_run and self.mode == "fix"

    @property
    def is_running(self) -> bool:
        return self.state == self.State.RUNNING

    @property
    def duration(self) -> dt.timedelta | None:
        """How long it took, or has taken so far."""
        if self.started_at is None:
            return None
        return (self.finished_at or timezone.now()) - self.started_at

    @property
    def drift_rate(self) -> float | None:
        """Drifted devices per checked device (0..1); None before anything was checked."""
        checked = int(self.counts.get("checked") or 0)
        return int(self.counts.get("drift_found") or 0) / checked if checked else None

    @property
    def drift_percent(self) -> float | None:
        rate = self.drift_rate
        return None if rate is None else 100 * rate

    @property
    def duration_seconds(self) -> float | None:
        duration = self.duration
        return None if duration is None else duration.total_seconds()


class ReconciliationChunk(models.Model):
    """Up to 50 devices of one WeChat model: one observation call, leased by one worker at a time."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        LEASED = "leased", _("leased")
        DONE = "done", _("done")

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="chunks")
    seq = models.PositiveIntegerField(_("sequence"))
    app_id = models.CharField(_("WeChat AppID"), max_length=64)
    model_id = models.CharField(_("WeChat model id"), max_length=128)
    device_ids = models.JSONField(_("devices"), default=list)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    lease_token = models.CharField(max_length=32, blank=True, editable=False)
    # The worker (host:pid) that last leased it: who did the chunk, or who died holding it.
    leased_by = models.CharField(_("worker"), max_length=128, blank=True)
    lease_expires_at = models.DateTimeField(_("lease expires"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    counts = models.JSONField(_("counts"), default=dict)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["run", "seq"]
        default_permissions = ("view",)
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="reconcile_chunk_seq")]
        indexes = [models.Index(fields=["run", "state", "seq"], name="reconcile_chunk_state")]

    def __str__(self) -> str:
        return f"run {self.run_id} chunk {self.seq} ({self.state})"


class ReconciliationItem(models.Model):
    """One device's drift or failure in a run; unique per (run, device), so a re-processed chunk never fixes twice.

    ``fixing`` marks a write in flight: a chunk re-processed after a crash finds it and checks the cloud
    instead of writing again blindly.
    """

    class Outcome(models.TextChoices):
        FIXING = "fixing", _("fixing")
        FIXED = "fixed", _("fixed")
        REPORTED = "reported", _("reported")
        SKIPPED = "skipped", _("skipped")
        FAILED = "failed", _("failed")

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="items")
    # Not foreign keys: a row must outlive the device or user leaving the mirror.
    device_id = models.CharField(_("device"), max_length=64, db_index=True)
    user_id = models.CharField(_("auth user"), max_length=64, blank=True)
    drift = models.BooleanField(_("drift"), default=False)
    cloud_before = models.BooleanField(_("cloud before"), null=True)
    cloud_changed_at = models.DateTimeField(_("cloud auth changed"), null=True, blank=True)
    wechat_authorized = models.BooleanField(_("WeChat status"), null=True)
    observed_at = models.DateTimeField(_("observed at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, db_index=True)
    # A code of REASONS (labelled when shown), and the error text behind a failure.
    reason = models.CharField(_("why"), max_length=32, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["run", "device_id"]
        verbose_name = _("reconciliation row")
        verbose_name_plural = _("reconciliation rows")
        default_permissions = ("view",)
        constraints = [models.UniqueConstraint(fields=["run", "device_id"], name="reconcile_item_device")]
        indexes = [models.Index(fields=["run", "outcome", "device_id"], name="reconcile_item_outcome")]

    def __str__(self) -> str:
        return f"run {self.run_id} {self.device_id}: {self.outcome}"

    @property
    def reason_label(self) -> str:
        return str(RECONCILE_REASONS.get(self.reason, self.reason))


# Why a device was not simply in sync: codes stored on ReconciliationItem.reason, labels for the pages.
RECONCILE_REASONS = {
    "fixed": _("WeChat's value was written to the cloud"),
    "confirmed": _("the cloud holds WeChat's value: an earlier attempt of this run wrote it"),
    "dry_run": _("dry run: nothing written"),
    "report_mode": _("report-only mode (RECONCILE_MODE=report): nothing written"),
    "stale_observation": _("WeChat's observation is not newer than the cloud's last change"),
    "user_changed": _("the auth user changed after the observation"),
    "already_in_sync": _("the cloud already held WeChat's value when re-read"),
    "device_busy": _("another check of this device was writing at the same time"),
    "no_auth_user": _("the device has no VoIP auth user"),
    "no_sn": _("the device has no UUID (WeChat sn)"),
    "not_in_mirror": _("the device is no longer in the mirror"),
    "cloud_read": _("the cloud could not be read"),
    "openid": _("the auth user's openId could not be read"),
    "wechat": _("WeChat's observation failed"),
    "no_observation": _("WeChat's answer did not include this device"),
    "cloud_refused": _("the cloud refused the write"),
    "outcome_unknown": _("the cloud did not answer the write in time; the next run checks it again"),
}


class BulkJob(models.Model):
    """A bulk action over a selection of devices (refresh, re-check), run in the background; done/total live here.

    Each device's step is the per-device service (audited per device); ``done`` counts the devices handled, so
    a redelivered task continues after them."""

    class Action(models.TextChoices):
        REFRESH = "refresh", _("refresh from the cloud")
        RECHECK = "recheck", _("re-check VoIP authorization")

    class State(models.TextChoices):
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        PARTIAL = "partial", _("partial")

    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, on_delete=models.SET_NULL
    )
    device_ids = models.JSONField(_("devices"), default=list)
    total = models.PositiveIntegerField(_("total"))
    done = models.PositiveIntegerField(_("done"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("bulk job")
        verbose_name_plural = _("bulk jobs")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.action} {self.done}/{self.total}"
