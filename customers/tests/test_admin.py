import pytest
from django.test import Client
from django.urls import reverse

from customers.models import LoginChallenge
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_browser(officer):
    client = Client()
    client.force_login(officer)
    return client


@pytest.mark.parametrize(
    "url",
    [
        reverse("admin:customers_customer_changelist"),
        reverse("admin:customers_customer_changelist") + "?q=siti",
        reverse("admin:customers_customer_changelist") + "?is_active__exact=1",
        reverse("admin:customers_customer_add"),
        reverse("admin:customers_loginchallenge_changelist") + "?q=siti",
    ],
)
def test_pages_open(officer_browser, customer, url):
    assert officer_browser.get(url).status_code == 200


def test_changelist_shows_only_own_customers(officer_browser, customer, other_merchant):
    theirs = CustomerFactory(merchant=other_merchant, email="theirs@example.com")
    response = officer_browser.get(reverse("admin:customers_customer_changelist"))
    assert customer.email.encode() in response.content
    assert theirs.email.encode() not in response.content
    url = reverse("admin:customers_customer_change", args=[theirs.pk])
    assert officer_browser.get(url).status_code == 302  # not theirs: back to the index


def test_revoke_tokens_action(officer_browser, customer):
    response = officer_browser.post(
        reverse("admin:customers_customer_changelist"),
        {"action": "revoke_tokens", "_selected_action": [customer.pk]},
        follow=True,
    )
    assert b"1 customer was signed out everywhere." in response.content
    customer.refresh_from_db()
    assert customer.token_version == 2


def test_add_refuses_a_duplicate_email_in_another_case(officer_browser, customer, merchant):
    response = officer_browser.post(
        reverse("admin:customers_customer_add"),
        {"merchant": merchant.pk, "email": "SITI@example.com", "is_active": "on"},
    )
    assert response.status_code == 200
    assert b"already has a customer with this email" in response.content


def test_login_challenges_are_read_only(officer_browser, customer, merchant):
    challenge = LoginChallenge.objects.create(
        merchant=merchant,
        email=customer.email,
        kind="otp",
        secret_seed="s",
        otp_hmac="h" * 64,
        expires_at="2030-01-01T00:00:00Z",
    )
    response = officer_browser.get(
        reverse("admin:customers_loginchallenge_change", args=[challenge.pk])
    )
    assert response.status_code == 200
    assert b"h" * 64 not in response.content
    assert b"secret_seed" not in response.content
    assert officer_browser.get(reverse("admin:customers_loginchallenge_add")).status_code == 403
