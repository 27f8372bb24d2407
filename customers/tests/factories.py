from datetime import timedelta

import factory
from django.utils import timezone

from customers.models import Customer, LoginChallenge
from merchants.tests.factories import MerchantFactory


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    merchant = factory.SubFactory(MerchantFactory)
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    name = factory.Sequence(lambda n: f"Customer {n}")
    phone = ""


class LoginChallengeFactory(factory.django.DjangoModelFactory):
    """A one-time code emailed to a customer (its secrets are placeholders: not verifiable)."""

    class Meta:
        model = LoginChallenge

    merchant = factory.SubFactory(MerchantFactory)
    email = factory.Sequence(lambda n: f"shopper{n}@example.com")
    kind = LoginChallenge.Kind.OTP
    secret_seed = "seed"
    otp_hmac = "0" * 64
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=10))
