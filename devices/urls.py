from __future__ import annotations

from django.urls import path

import voipadmin.core.converters  # noqa: F401 -- registers the <id:…> converter
from devices import views

app_name = "devices"
urlpatterns = [
    path("homes/", views.home_list, name="home-list"),
    path("homes/<id:owner_id>/", views.home_detail, name="home-detail"),
    path("devices/", views.device_list, name="device-list"),
    path("devices/<id:device_id>/", views.device_detail, name="device-detail"),
    path("devices/<id:device_id>/panels/<id:panel>/", views.device_panel, name="device-panel"),
    path("devices/<id:device_id>/voip-auth-user/", views.device_set_auth_user, name="device-set-auth-user"),
    path("devices/<id:device_id>/exchange-code/", views.device_redeem_code, name="device-redeem-code"),
    path(
        "devices/<id:device_id>/voip-authorization/",
        views.device_voip_authorization,
        name="device-voip-authorization",
    ),
]
