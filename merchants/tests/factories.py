from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from merchants.models import Membership, Merchant, StaffInvitation, StaffToken, TableLocation


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    is_staff = True
    password = factory.django.Password("pass12345")


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant

    name = factory.Sequence(lambda n: f"Merchant {n}")
    slug = factory.Sequence(lambda n: f"merchant-{n}")
    business_type = Merchant.BusinessType.FNB
    # Tests read customer emails in English unless they ask for Indonesian (the model's default).
    language = "en"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    merchant = factory.SubFactory(MerchantFactory)
    role = Membership.Role.OFFICER


class TableLocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TableLocation

    merchant = factory.SubFactory(MerchantFactory)
    number = factory.Sequence(lambda n: f"T{n}")
    capacity = 4


class StaffTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffToken

    user = factory.SubFactory(UserFactory)
    key_hash = factory.Sequence(lambda n: f"{n:064x}")
    prefix = factory.Sequence(lambda n: f"tok{n:05d}")


class StaffInvitationFactory(factory.django.DjangoModelFactory):
    """A pending invitation (its link's token is unknown: use the service to get one)."""

    class Meta:
        model = StaffInvitation

    merchant = factory.SubFactory(MerchantFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Membership.Role.OFFICER
    secret_seed = factory.Sequence(lambda n: f"{n:064x}")
    token_hash = factory.Sequence(lambda n: f"{n:064x}")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=72))
