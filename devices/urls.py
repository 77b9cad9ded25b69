from __future__ import annotations

from django.urls import path

import voipadmin.core.converters  # noqa: F401 -- registers the <id:…> converter
from devices import bulk_views, reconcile_views, views

app_name = "devices"
urlpatterns = [
    path("homes/", views.home_list, name="home-list"),
    path("homes/<id:owner_id>/", views.home_detail, name="home-detail"),
    path("devices/", views.device_list, name="device-list"),
    path("devices/bulk/", bulk_views.bulk_start, name="bulk-start"),
    path("devices/bulk/<int:job_id>/", bulk_views.bulk_job, name="bulk-job"),
    path("devices/<id:device_id>/", views.device_detail, name="device-detail"),
    path("devices/<id:device_id>/panels/<id:panel>/", views.device_panel, name="device-panel"),
    path("devices/<id:device_id>/voip-auth-user/", views.device_set_auth_user, name="device-set-auth-user"),
    path("devices/<id:device_id>/exchange-code/", views.device_redeem_code, name="device-redeem-code"),
    path("devices/<id:device_id>/recheck/", reconcile_views.device_recheck, name="device-recheck"),
    path(
        "devices/<id:device_id>/voip-authorization/",
        reconcile_views.device_voip_authorization,
        name="device-voip-authorization",
    ),
    path("reconciliation/", reconcile_views.reconciliation_list, name="reconciliation-list"),
    path("reconciliation/run/", reconcile_views.reconciliation_start_view, name="reconciliation-start"),
    path("reconciliation/<int:run_id>/", reconcile_views.reconciliation_detail, name="reconciliation-detail"),
    path("reconciliation/<int:run_id>/row/", reconcile_views.reconciliation_row, name="reconciliation-row"),
    path(
        "reconciliation/<int:run_id>/summary/",
        reconcile_views.reconciliation_summary,
        name="reconciliation-summary",
    ),
]
