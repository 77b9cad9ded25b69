from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

import voipadmin.core.converters  # noqa: F401 -- registers the <id:…> converter
from devices import urls as devices_urls
from devices.reconciliation import urls as reconciliation_urls
from voipadmin.console import (
    account_views,
    alert_views,
    customer_views,
    refresh_views,
    saved_view_views,
    schedule_views,
    sync_views,
    views,
)

urlpatterns = [
    path("", views.overview, name="overview"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/sessions/", account_views.session_list, name="sessions"),
    path("account/sessions/end/", account_views.session_end_view, name="session-end"),
    path("csp-report/", account_views.csp_report, name="csp-report"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("i18n/settz/", views.set_timezone, name="set_timezone"),
    path("search/", views.search, name="search"),
    path("audit/", views.audit_list, name="audit"),
    path("schedules/", schedule_views.schedule_list, name="schedules"),
    path("schedules/<int:pk>/", schedule_views.schedule_update, name="schedule-update"),
    path("users/<id:user_id>/", customer_views.user_detail, name="user-detail"),
    path("devices/<id:device_id>/refresh/", refresh_views.device_refresh_view, name="device-refresh"),
    path("syncs/", sync_views.sync_list, name="syncs"),
    path("syncs/start/", sync_views.sync_start, name="sync-start"),
    path("syncs/<int:run_id>/row/", sync_views.sync_row, name="sync-row"),
    path("alerts/", alert_views.alert_list, name="alerts"),
    path("alerts/<int:pk>/acknowledge/", alert_views.alert_acknowledge, name="alert-acknowledge"),
    path("alerts/rules/", alert_views.alert_rules, name="alert-rules"),
    path("alerts/rules/<int:pk>/", alert_views.alert_rule_update, name="alert-rule-update"),
    path("views/", saved_view_views.saved_view_list, name="saved-views"),
    path("views/save/", saved_view_views.saved_view_save, name="saved-view-save"),
    path("views/<int:pk>/rename/", saved_view_views.saved_view_rename, name="saved-view-rename"),
    path("views/<int:pk>/delete/", saved_view_views.saved_view_delete, name="saved-view-delete"),
    path("views/<int:pk>/pin/", saved_view_views.saved_view_pin, name="saved-view-pin"),
    path("admin/", admin.site.urls),
    # One namespace: the reconciliation's pages kept their devices:… names; bulk-start before devices/<id>/.
    path("", include(([*reconciliation_urls.urlpatterns, *devices_urls.urlpatterns], "devices"))),
    path("mall/", include("mall.urls")),
]

handler400 = "voipadmin.console.errors.bad_request"
handler403 = "voipadmin.console.errors.permission_denied"
handler404 = "voipadmin.console.errors.page_not_found"
handler500 = "voipadmin.console.errors.server_error"
