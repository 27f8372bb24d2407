"""Two verifies of one link or code at the same moment: exactly one signs in."""

import pytest
from django.core import mail

from customers import services
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from merchants.testing import requires_postgres, run_concurrently
from merchants.tests.factories import MerchantFactory

pytestmark = [requires_postgres, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def outcomes(results):
    wins = [r for r in results if isinstance(r, services.LoginResult)]
    losses = [r for r in results if isinstance(r, services.InvalidLogin)]
    assert len(wins) + len(losses) == len(results), results
    return wins, losses


def test_one_magic_link_two_verifies():
    merchant = MerchantFactory()
    customer = CustomerFactory(merchant=merchant)
    challenge = services.login_link_request(merchant=merchant, email=customer.email)
    token = services.login_challenge_secret(challenge)
    wins, losses = outcomes(run_concurrently(lambda i: services.login_link_verify(token=token), 4))
    assert len(wins) == 1
    assert len(losses) == 3


def test_one_code_two_verifies_for_a_new_email():
    merchant = MerchantFactory()
    challenge = services.login_otp_request(merchant=merchant, email="race@example.com")
    code = services.login_challenge_secret(challenge)
    wins, losses = outcomes(
        run_concurrently(
            lambda i: services.login_otp_verify(
                merchant=merchant, email="race@example.com", code=code
            ),
            4,
        )
    )
    assert len(wins) == 1
    assert len(losses) == 3
    assert Customer.objects.filter(merchant=merchant).count() == 1


def test_parallel_wrong_guesses_never_exceed_the_attempt_limit(settings):
    settings.OTP_MAX_ATTEMPTS = 3
    merchant = MerchantFactory()
    challenge = services.login_otp_request(merchant=merchant, email="guess@example.com")
    code = services.login_challenge_secret(challenge)
    wrong = str((int(code) + 1) % 10**6).zfill(6)
    run_concurrently(
        lambda i: services.login_otp_verify(
            merchant=merchant, email="guess@example.com", code=wrong
        ),
        8,
    )
    challenge.refresh_from_db()
    assert challenge.attempts == 3
    with pytest.raises(services.InvalidLogin):
        services.login_otp_verify(merchant=merchant, email="guess@example.com", code=code)


def test_racing_first_sign_ins_create_one_customer():
    merchant = MerchantFactory()
    results = run_concurrently(
        lambda i: services.customer_get_or_create_by_email(
            merchant=merchant, email="Twin@example.com" if i % 2 else "twin@EXAMPLE.com"
        ),
        6,
    )
    assert all(isinstance(r, Customer) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert mail.outbox == []
