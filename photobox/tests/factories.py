from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from merchants.tests.factories import MerchantFactory
from photobox.auth import kiosk_key_hash
from photobox.models import KioskLocation, KioskPrice, Photo, PhotoSession


class KioskLocationFactory(factory.django.DjangoModelFactory):
    """A kiosk whose key is `key-<machine_code>` (the plain key is kept on `.key`)."""

    class Meta:
        model = KioskLocation
        exclude = ("key",)

    merchant = factory.SubFactory(MerchantFactory)
    machine_code = factory.Sequence(lambda n: f"PB-{n:03d}")
    name = factory.Sequence(lambda n: f"Kiosk {n}")
    key = factory.LazyAttribute(lambda o: f"key-{o.machine_code}")
    key_hash = factory.LazyAttribute(lambda o: kiosk_key_hash(o.key))
    key_prefix = factory.LazyAttribute(lambda o: o.key[:8])


class KioskPriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KioskPrice

    merchant = factory.SubFactory(MerchantFactory)
    amount = Decimal(40000)
    description = factory.Sequence(lambda n: f"Package {n}")
    quota = None


class PhotoSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PhotoSession

    merchant = factory.SubFactory(MerchantFactory)
    location = factory.SubFactory(
        KioskLocationFactory, merchant=factory.SelfAttribute("..merchant")
    )
    price = factory.SubFactory(KioskPriceFactory, merchant=factory.SelfAttribute("..merchant"))
    external_id = factory.Sequence(lambda n: f"TRX-{n}-20250101100000-{n:08x}")
    amount = factory.LazyAttribute(lambda o: o.price.amount)
    email = "guest@example.com"
    status = PhotoSession.Status.PENDING
    business_date = factory.LazyFunction(lambda: timezone.localdate())
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=15))


class CompletedSessionFactory(PhotoSessionFactory):
    status = PhotoSession.Status.COMPLETED
    paid_at = factory.LazyFunction(timezone.now)


class PhotoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Photo

    session = factory.SubFactory(CompletedSessionFactory)
    file = factory.LazyAttribute(lambda o: f"photobox/{o.session.external_id}/{o.order:02d}-x.jpg")
    size = 1024
    width = 40
    height = 30
    order = factory.Sequence(lambda n: n + 1)
