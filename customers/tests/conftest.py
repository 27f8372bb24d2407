import re

import pytest
from django.core import mail

from customers.auth import customer_token_issue
from customers.tests.factories import CustomerFactory

LINK_RE = re.compile(r"/auth/magic/([A-Za-z0-9_-]+)/")
CODE_RE = re.compile(r"\b(\d{6})\b")


@pytest.fixture
def customer(merchant):
    return CustomerFactory(merchant=merchant, email="siti@example.com", name="Siti")


@pytest.fixture
def customer_client(api_client, customer):
    api_client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {customer_token_issue(customer=customer).token}"
    )
    return api_client


@pytest.fixture
def last_link_token():
    """The token of the magic link in the last email sent."""

    def read() -> str:
        return LINK_RE.search(mail.outbox[-1].body).group(1)

    return read


@pytest.fixture
def last_code():
    def read() -> str:
        return CODE_RE.search(mail.outbox[-1].body).group(1)

    return read
