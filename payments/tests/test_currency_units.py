"""What reaches a gateway for each kind of currency: the amount in the currency's own units,
never scaled by a hundred for a currency without cents."""

import json
from decimal import Decimal

import pytest

from merchants.errors import DomainError
from merchants.models import Merchant
from payments.gateways.base import LineItem
from payments.services import payment_charge_qris, payment_create_snap
from payments.tests import stubs

pytestmark = pytest.mark.django_db


def snap(merchant, amount: str):
    return payment_create_snap(
        merchant=merchant,
        reference_kind="order",
        reference_id="42",
        amount=Decimal(amount),
        items=[LineItem(id="p-1", name="Ramen", price=Decimal(amount))],
    )


@pytest.mark.parametrize(
    ("currency", "amount", "gross"),
    [("JPY", "25000", 25000), ("IDR", "25000", 25000), ("USD", "25.50", 2550)],
)
def test_snap_sends_the_currencys_units(gw, pay_merchant, currency, amount, gross):
    pay_merchant.currency = currency
    pay_merchant.save()
    stubs.stub_snap_create()
    snap(pay_merchant, amount)
    sent = json.loads(gw.calls[0].request.body)
    assert sent["transaction_details"]["gross_amount"] == gross
    assert [item["price"] for item in sent["item_details"]] == [gross]


def test_xendit_qris_for_a_yen_merchant_is_not_a_hundred_times_too_much(gw, pay_merchant):
    pay_merchant.currency = "JPY"
    pay_merchant.qris_gateway = Merchant.QrisGateway.XENDIT
    pay_merchant.save()
    stubs.stub_xendit_qr_create()
    payment_charge_qris(
        merchant=pay_merchant,
        reference_kind="photo_session",
        reference_id="TRX-1",
        amount=Decimal("25000"),
        expiry_minutes=15,
        description="Photo session",
    )
    assert json.loads(gw.calls[0].request.body)["amount"] == 25000


@pytest.mark.parametrize("currency", ["JPY", "IDR"])
def test_a_fraction_of_a_currency_without_cents_is_refused_before_the_gateway(
    gw, pay_merchant, currency
):
    pay_merchant.currency = currency
    pay_merchant.save()
    with pytest.raises(DomainError, match="whole numbers"):
        snap(pay_merchant, "25000.50")
    assert len(gw.calls) == 0
