from __future__ import annotations

from django.urls import path

import voipadmin.core.converters  # noqa: F401 -- registers the <id:…> converter
from mall import views

app_name = "mall"
urlpatterns = [
    path("commodities/", views.commodity_list, name="commodity-list"),
    path("commodities/<id:commodity_code>/", views.commodity_detail, name="commodity-detail"),
    path("orders/", views.order_list, name="order-list"),
    path("orders/totals/", views.order_totals, name="order-totals"),
    path("orders/<id:order_id>/", views.order_detail, name="order-detail"),
    path("subscriptions/", views.subscription_list, name="subscription-list"),
    path("subscriptions/<id:subscribe_id>/", views.subscription_detail, name="subscription-detail"),
    path("services/<id:category_code>/", views.service_detail, name="service-detail"),
    path("devices/<id:device_id>/panel/", views.device_panel, name="device-panel"),
    path("devices/<id:device_id>/purchase/", views.device_purchase, name="device-purchase"),
]
