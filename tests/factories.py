"""factory_boy factories for the mirror's models (views and selectors tests that need no cloud)."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from devices.models import (
    CloudUser,
    Device,
    DeviceService,
    DeviceVasType,
    Home,
    VoipAuthState,
    WeChatIdentity,
)
from voipadmin.core.models import AuditEvent


class HomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Home

    owner_id = factory.Sequence(lambda n: f"home{n:06d}")
    name = factory.Sequence(lambda n: f"Home {n}")
    geo_name = "Shanghai"
    synced_at = factory.LazyFunction(timezone.now)


class CloudUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CloudUser

    user_id = factory.Sequence(lambda n: f"user{n:06d}")
    user_name = factory.Sequence(lambda n: f"User {n}")
    synced_at = factory.LazyFunction(timezone.now)


class WeChatIdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WeChatIdentity

    user = factory.SubFactory(CloudUserFactory)
    app_id = "wx5d1ac9e5a7f0b001"
    open_id = factory.Sequence(lambda n: f"oOpenId{n:08d}")
    synced_at = factory.LazyFunction(timezone.now)


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device
        skip_postgeneration_save = True

    device_id = factory.Sequence(lambda n: f"vdevo{n:010d}")
    home = factory.SubFactory(HomeFactory)
    name = factory.Sequence(lambda n: f"Doorbell {n}")
    location_name = "Front door"
    uuid = factory.Sequence(lambda n: f"uuid{n:012d}")
    vas_types = [0, 1]
    voip_capable = True
    wechat_app_id = "wx5d1ac9e5a7f0b001"
    wechat_model_id = "model-doorbell-1"
    synced_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def vas_rows(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            DeviceVasType.objects.bulk_create(
                [DeviceVasType(device=self, vas_type=t) for t in self.vas_types]
            )


class DeviceServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeviceService

    device = factory.SubFactory(DeviceFactory)
    code = factory.Sequence(lambda n: f"service_{n}")
    name = "微信视频通话(VoIP)"
    service_type = 1
    start_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=30))
    end_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=30))
    synced_at = factory.LazyFunction(timezone.now)


class VoipAuthStateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VoipAuthState

    device = factory.SubFactory(DeviceFactory)
    user = factory.SubFactory(CloudUserFactory)
    user_name = factory.SelfAttribute("user.user_name")
    is_auth = True
    is_valid = True
    synced_at = factory.LazyFunction(timezone.now)


class AuditEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditEvent

    actor_name = "support-user"
    action = "voip_auth_user_set"
    result = AuditEvent.Result.OK
    device_id = ""
