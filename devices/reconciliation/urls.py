from __future__ import annotations

from django.urls import path

import voipadmin.core.converters  # noqa: F401 -- registers the <id:…> converter
from devices.reconciliation import bulk_views, views

# Included from voipadmin/urls.py into the "devices" namespace: these pages kept their paths and names
# (devices:reconciliation-list …) when reconciliation moved out of devices, so every {% url %} still finds them.
app_name = "devices"
urlpatterns = [
    path("devices/bulk/", bulk_views.bulk_start, name="bulk-start"),
    path("devices/bulk/<int:job_id>/", bulk_views.bulk_job, name="bulk-job"),
    path("devices/<id:device_id>/recheck/", views.device_recheck, name="device-recheck"),
    path("reconciliation/", views.reconciliation_list, name="reconciliation-list"),
    path("reconciliation/run/", views.reconciliation_start_view, name="reconciliation-start"),
    path("reconciliation/<int:run_id>/", views.reconciliation_detail, name="reconciliation-detail"),
    path("reconciliation/<int:run_id>/row/", views.reconciliation_row, name="reconciliation-row"),
    path("reconciliation/<int:run_id>/summary/", views.reconciliation_summary, name="reconciliation-summary"),
]
