from decimal import Decimal

import pytest
import responses as responses_lib

from payments import registry
from payments.tests.factories import PaymentFactory, apply_midtrans
from payments.tests.stubs import CLIENT_KEY, SERVER_KEY, XENDIT_CALLBACK_TOKEN, XENDIT_SECRET_KEY


@pytest.fixture
def gw():
    """Gateway HTTP stubs; any request not stubbed fails (no test reaches the network)."""
    # The module-level mock, so the `stubs` helpers (which call `responses.add`) register here.
    responses_lib.start()
    try:
        yield responses_lib.mock
    finally:
        responses_lib.stop()
        responses_lib.reset()


@pytest.fixture
def pay_merchant(merchant):
    """The shared `merchant` with Midtrans sandbox keys and a Xendit key."""
    merchant.midtrans_server_key = SERVER_KEY
    merchant.midtrans_client_key = CLIENT_KEY
    merchant.xendit_secret_key = XENDIT_SECRET_KEY
    merchant.save()
    return merchant


@pytest.fixture
def xendit_token(settings):
    settings.XENDIT_CALLBACK_TOKEN = XENDIT_CALLBACK_TOKEN
    return XENDIT_CALLBACK_TOKEN


@pytest.fixture
def status_changes():
    """Every (reference_id, old, new) the registry hands to the owner of "order" references."""
    calls: list[tuple[str, str, str]] = []

    def handler(payment, old_status, new_status, *, actor):
        calls.append((payment.reference_id, old_status, new_status))

    with registry.registered("order", handler):
        yield calls


@pytest.fixture
def pending(pay_merchant):
    """A pending Snap payment of 150000 for order 42."""
    return PaymentFactory(merchant=pay_merchant, reference_id="42", amount=Decimal("150000"))


@pytest.fixture
def paid(pending):
    """`pending`, settled at Midtrans."""
    return apply_midtrans(pending, "settlement")
