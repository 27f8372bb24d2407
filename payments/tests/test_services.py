import json
from datetime import timedelta
from decimal import Decimal

import pytest
import responses
import time_machine
from django.utils import timezone

from merchants.actors import SYSTEM, Actor
from merchants.errors import Conflict, DomainError, GatewayError
from merchants.models import Merchant
from payments import registry
from payments.gateways.base import LineItem
from payments.models import Payment, PaymentEvent
from payments.services import (
    payment_apply_gateway_status,
    payment_cancel,
    payment_charge_qris,
    payment_check_status,
    payment_create_snap,
    payment_expire,
    payment_record_cash,
    payment_refund,
)
from payments.tests import stubs
from payments.tests.factories import apply_midtrans

pytestmark = pytest.mark.django_db
Status = Payment.Status
Kind = PaymentEvent.Kind

ITEMS = [
    LineItem(id="p-1", name="Nasi goreng", price=Decimal("45000"), quantity=3),
    LineItem(id="tax", name="Tax", price=Decimal("15000")),
]


def create_snap(merchant, **kwargs):
    params = {
        "merchant": merchant,
        "reference_kind": "order",
        "reference_id": "42",
        "amount": Decimal("150000"),
        "items": ITEMS,
    }
    params.update(kwargs)
    return payment_create_snap(**params)


def applied_events(payment):
    return payment.events.exclude(kind__in=[Kind.REQUEST, Kind.RESPONSE])


# --- Snap -----------------------------------------------------------------------------------


def test_snap_creates_a_pending_payment_and_logs_the_exchange(gw, pay_merchant):
    stubs.stub_snap_create()
    payment = create_snap(pay_merchant)
    assert payment.status == Status.PENDING
    assert payment.snap_token == stubs.SNAP_TOKEN
    assert payment.redirect_url.endswith(stubs.SNAP_TOKEN)
    assert payment.amount == Decimal("150000.00")
    assert payment.gateway_order_id.startswith("order-42-")
    assert payment.expires_at > timezone.now() + timedelta(minutes=59)
    kinds = list(payment.events.values_list("kind", flat=True))
    assert kinds == [Kind.REQUEST, Kind.RESPONSE]
    request = payment.events.get(kind=Kind.REQUEST).raw
    assert request["body"]["transaction_details"]["order_id"] == payment.gateway_order_id
    assert stubs.SERVER_KEY not in json.dumps(list(payment.events.values_list("raw", flat=True)))


def test_snap_reuses_a_valid_pending_token_for_the_same_amount(gw, pay_merchant):
    stubs.stub_snap_create()
    first = create_snap(pay_merchant)
    again = create_snap(pay_merchant)
    assert again.pk == first.pk
    assert len(gw.calls) == 1

    other_amount = create_snap(
        pay_merchant, amount=Decimal("45000"), items=[LineItem("p", "P", Decimal("45000"))]
    )
    assert other_amount.pk != first.pk
    fresh = create_snap(pay_merchant, reuse_pending=False)
    assert fresh.pk != first.pk
    assert len(gw.calls) == 3


def test_snap_token_close_to_expiry_is_not_reused(gw, pay_merchant):
    stubs.stub_snap_create()
    first = create_snap(pay_merchant)
    with time_machine.travel(timezone.now() + timedelta(minutes=59, seconds=30)):
        second = create_snap(pay_merchant)
    assert second.pk != first.pk


def test_lines_that_do_not_add_up_write_nothing_and_call_nobody(gw, pay_merchant):
    with pytest.raises(DomainError, match="add up to 135000 but the amount is 150000"):
        create_snap(pay_merchant, items=ITEMS[:1])
    assert not Payment.objects.exists()
    assert len(gw.calls) == 0


@pytest.mark.parametrize(
    "outage",
    [
        lambda: stubs.stub_timeout(responses.POST, stubs.snap_url()),
        lambda: stubs.stub_snap_create(status=500, body={"error_messages": ["Internal error"]}),
        lambda: responses.add(
            responses.POST, stubs.snap_url(), body="<html>502</html>", status=502
        ),
    ],
    ids=["timeout", "5xx-json", "5xx-html"],
)
def test_gateway_failure_leaves_nothing_behind(gw, pay_merchant, outage):
    outage()
    with pytest.raises(GatewayError):
        create_snap(pay_merchant)
    assert not Payment.objects.exists()
    assert not PaymentEvent.objects.exists()


def test_merchant_without_keys_gets_a_clear_error(gw, merchant):
    with pytest.raises(Conflict, match="no Midtrans server key"):
        create_snap(merchant)
    assert len(gw.calls) == 0


def test_fractional_idr_amount_is_refused(gw, pay_merchant):
    with pytest.raises(DomainError, match="whole numbers"):
        create_snap(
            pay_merchant, amount=Decimal("1000.50"), items=[LineItem("a", "A", Decimal("1000.50"))]
        )


# --- QRIS -----------------------------------------------------------------------------------


def charge_qris(merchant, **kwargs):
    params = {
        "merchant": merchant,
        "reference_kind": "photo_session",
        "reference_id": "TRX-1",
        "amount": Decimal("35000"),
        "expiry_minutes": 15,
        "description": "Photo session",
    }
    params.update(kwargs)
    return payment_charge_qris(**params)


def test_qris_through_midtrans(gw, pay_merchant):
    stubs.stub_qris_charge()
    payment = charge_qris(pay_merchant)
    assert payment.gateway == Payment.Gateway.MIDTRANS
    assert payment.method == Payment.Method.QRIS
    assert payment.qr_string.startswith("0002")
    assert payment.gateway_transaction_id == "22222222-2222-2222-2222-222222222222"
    assert json.loads(gw.calls[0].request.body)["custom_expiry"]["expiry_duration"] == 15


def test_qris_through_xendit(gw, pay_merchant):
    pay_merchant.qris_gateway = Merchant.QrisGateway.XENDIT
    pay_merchant.save()
    stubs.stub_xendit_qr_create()
    payment = charge_qris(pay_merchant)
    request = gw.calls[0].request
    assert request.headers["api-version"] == "2022-07-31"
    assert request.headers["Authorization"].startswith("Basic ")
    assert request.req_kwargs["timeout"] > 0
    body = json.loads(request.body)
    assert body["reference_id"] == payment.gateway_order_id
    assert body["amount"] == 35000
    assert body["type"] == "DYNAMIC"
    assert body["expires_at"].endswith("Z")
    assert payment.gateway == Payment.Gateway.XENDIT
    assert payment.gateway_transaction_id.startswith("qr_")
    assert payment.qr_string


def test_xendit_refusal_is_a_gateway_error_and_writes_nothing(gw, pay_merchant):
    pay_merchant.qris_gateway = Merchant.QrisGateway.XENDIT
    pay_merchant.save()
    gw.add(
        responses.POST,
        f"{stubs.XENDIT_BASE}/qr_codes",
        json={"error_code": "INVALID_API_KEY", "message": "API key is invalid"},
        status=401,
    )
    with pytest.raises(GatewayError, match="API key is invalid"):
        charge_qris(pay_merchant)
    assert not Payment.objects.exists()


# --- applying statuses ----------------------------------------------------------------------


def check(payment):
    return payment_check_status(payment=payment, actor=SYSTEM)


def test_settlement_marks_paid_once_and_tells_the_owner_once(gw, pending, status_changes):
    stubs.stub_status(pending.gateway_order_id, "settlement", 150000)
    paid = check(pending)
    assert paid.status == Status.PAID
    assert paid.paid_at is not None
    assert paid.gateway_transaction_id == "11111111-1111-1111-1111-111111111111"
    assert status_changes == [("42", Status.PENDING, Status.PAID)]

    again = check(pending)  # the same answer again: nothing changes, nothing is applied twice
    assert again.status == Status.PAID
    assert again.paid_at == paid.paid_at
    assert status_changes == [("42", Status.PENDING, Status.PAID)]
    assert applied_events(pending).count() == 1


def test_capture_under_challenge_is_not_paid_until_accepted(gw, pending, status_changes):
    stubs.stub_status(pending.gateway_order_id, "capture", 150000, fraud_status="challenge")
    held = check(pending)
    assert held.status == Status.PENDING
    assert held.gateway_status == "capture/challenge"
    assert held.paid_at is None
    assert status_changes == []

    accepted = apply_midtrans(held, "capture")
    assert accepted.status == Status.PAID
    assert status_changes == [("42", Status.PENDING, Status.PAID)]


def test_amount_mismatch_is_flagged_and_never_paid(gw, pending, status_changes):
    stubs.stub_status(pending.gateway_order_id, "settlement", 1500)
    result = check(pending)
    assert result.status == Status.PENDING
    assert result.amount_mismatch is True
    assert result.paid_at is None
    assert status_changes == []
    assert "Amount mismatch" in applied_events(pending).get().message


def test_late_pending_never_moves_a_paid_payment_back(pending, status_changes):
    settle = stubs.status_payload(pending.gateway_order_id, "settlement", 150000)
    late = stubs.status_payload(pending.gateway_order_id, "pending", 150000)
    payment_apply_gateway_status(
        payment=pending, gateway_payload=settle, source=Kind.STATUS_CHECK, actor=SYSTEM
    )
    result = payment_apply_gateway_status(
        payment=pending, gateway_payload=late, source=Kind.STATUS_CHECK, actor=SYSTEM
    )
    assert result.status == Status.PAID
    assert status_changes == [("42", Status.PENDING, Status.PAID)]
    assert "cannot go from paid to pending" in applied_events(pending).last().message


def test_settlement_reversed_to_deny_is_honoured(pending, status_changes):
    for status in ("settlement", "deny"):
        apply_midtrans(pending, status, source=Kind.NOTIFICATION)
    pending.refresh_from_db()
    assert pending.status == Status.FAILED
    assert status_changes == [
        ("42", Status.PENDING, Status.PAID),
        ("42", Status.PAID, Status.FAILED),
    ]


@pytest.mark.parametrize(
    ("gateway_status", "expected"),
    [
        ("deny", Status.FAILED),
        ("failure", Status.FAILED),
        ("cancel", Status.CANCELLED),
        ("expire", Status.EXPIRED),
        ("pending", Status.PENDING),
    ],
)
def test_status_mapping(pending, gateway_status, expected):
    result = apply_midtrans(pending, gateway_status)
    assert result.status == expected


def test_a_payload_for_another_order_is_refused(pending):
    with pytest.raises(Conflict, match="reported order OTHER"):
        apply_midtrans(pending, "settlement", order_id="OTHER")
    pending.refresh_from_db()
    assert pending.status == Status.PENDING


def test_a_failing_owner_handler_rolls_the_change_back(pending):
    def broken(payment, old, new, *, actor):
        raise RuntimeError("orders is down")

    with registry.registered("order", broken), pytest.raises(RuntimeError):
        apply_midtrans(pending, "settlement")
    pending.refresh_from_db()
    assert pending.status == Status.PENDING
    assert not applied_events(pending).exists()


def test_snap_not_yet_known_stays_pending_then_expires(gw, pending):
    pending.expires_at = timezone.now() + timedelta(minutes=10)
    pending.save()
    stubs.stub_status_not_found(pending.gateway_order_id)
    assert check(pending).status == Status.PENDING
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert check(pending).status == Status.EXPIRED


def test_status_check_outage_changes_nothing(gw, pending):
    stubs.stub_core_error(responses.GET, f"/v2/{pending.gateway_order_id}/status", status=503)
    with pytest.raises(GatewayError):
        check(pending)
    pending.refresh_from_db()
    assert pending.status == Status.PENDING
    assert not pending.events.exists()


def test_cash_payments_are_not_checked_at_any_gateway(gw, pay_merchant):
    receipt = payment_record_cash(
        merchant=pay_merchant,
        reference_kind="order",
        reference_id="1",
        amount_due=Decimal("1000"),
        amount_paid=Decimal("1000"),
        actor=SYSTEM,
    )
    assert check(receipt.payment).status == Status.PAID
    assert len(gw.calls) == 0


# --- cancel and expire ----------------------------------------------------------------------


def test_cancel_at_midtrans(gw, pending, status_changes):
    stubs.stub_cancel(pending.gateway_order_id, 150000)
    result = payment_cancel(payment=pending, actor=SYSTEM)
    assert result.status == Status.CANCELLED
    assert status_changes == [("42", Status.PENDING, Status.CANCELLED)]
    assert applied_events(pending).get().kind == Kind.CANCEL


def test_expire_at_midtrans_answers_407_and_is_applied(gw, pending):
    stubs.stub_expire(pending.gateway_order_id, 150000)
    assert payment_expire(payment=pending, actor=SYSTEM).status == Status.EXPIRED


def test_cancel_before_midtrans_knows_the_transaction(gw, pending):
    gw.add(
        responses.POST,
        stubs.core_url(f"/v2/{pending.gateway_order_id}/cancel"),
        json=stubs.not_found_payload(),
    )
    assert payment_cancel(payment=pending, actor=SYSTEM).status == Status.CANCELLED


def test_only_pending_payments_can_be_cancelled(gw, pending):
    pending.status = Status.PAID
    pending.save()
    with pytest.raises(Conflict, match="Only a pending payment"):
        payment_cancel(payment=pending, actor=SYSTEM)
    assert len(gw.calls) == 0


def test_money_arriving_after_a_local_cancel_is_recorded(pending, status_changes):
    pending.status = Status.CANCELLED
    pending.save()
    result = apply_midtrans(pending, "settlement", source=Kind.NOTIFICATION)
    assert result.status == Status.PAID
    assert status_changes == [("42", Status.CANCELLED, Status.PAID)]


# --- cash -----------------------------------------------------------------------------------


def test_cash_answers_the_change(pay_merchant, owner, status_changes):
    receipt = payment_record_cash(
        merchant=pay_merchant,
        reference_kind="order",
        reference_id="42",
        amount_due=Decimal("147500"),
        amount_paid=Decimal("200000"),
        actor=Actor.staff(owner),
    )
    assert receipt.change == Decimal("52500")
    payment = receipt.payment
    assert payment.status == Status.PAID
    assert payment.gateway == Payment.Gateway.CASH
    assert payment.change_amount == Decimal("52500")
    assert payment.received_by == owner
    assert status_changes == [("42", Status.PENDING, Status.PAID)]
    assert payment.events.get().kind == Kind.CASH


def test_too_little_cash_is_refused(pay_merchant, owner):
    with pytest.raises(DomainError, match="less than the 147500") as raised:
        payment_record_cash(
            merchant=pay_merchant,
            reference_kind="order",
            reference_id="42",
            amount_due=Decimal("147500"),
            amount_paid=Decimal("147499"),
            actor=Actor.staff(owner),
        )
    assert raised.value.status_code == 400
    assert "amount_paid" in raised.value.details
    assert not Payment.objects.exists()


# --- refunds --------------------------------------------------------------------------------


def test_partial_then_full_refund_within_limits(gw, paid, status_changes):
    order_id = paid.gateway_order_id
    stubs.stub_refund(order_id, 150000, refund_amount=50000, partial=True)
    partial = payment_refund(
        payment=paid, actor=SYSTEM, amount=Decimal("50000"), reason="One dish was cold"
    )
    assert partial.status == Status.PARTIALLY_REFUNDED
    assert partial.refunded_amount == Decimal("50000")
    assert json.loads(gw.calls[-1].request.body) == {
        "refund_key": f"{order_id[:32]}-r50000",
        "amount": 50000,
        "reason": "One dish was cold",
    }

    with pytest.raises(DomainError, match=r"At most 100000\.00 can still be refunded"):
        payment_refund(payment=partial, actor=SYSTEM, amount=Decimal("100001"), reason="Too much")

    stubs.stub_refund(order_id, 150000, refund_amount=150000, partial=False)
    full = payment_refund(payment=partial, actor=SYSTEM, reason="Customer left")
    assert full.status == Status.REFUNDED
    assert full.refunded_amount == Decimal("150000")
    assert json.loads(gw.calls[-1].request.body)["amount"] == 100000

    with pytest.raises(Conflict, match="Only a paid payment"):
        payment_refund(payment=full, actor=SYSTEM, amount=Decimal("1"), reason="Again")
    assert status_changes[-2:] == [
        ("42", Status.PAID, Status.PARTIALLY_REFUNDED),
        ("42", Status.PARTIALLY_REFUNDED, Status.REFUNDED),
    ]
    assert len(gw.calls) == 2


def test_refund_notification_after_our_refund_changes_nothing(gw, paid):
    stubs.stub_refund(paid.gateway_order_id, 150000, refund_amount=50000, partial=True)
    payment_refund(payment=paid, actor=SYSTEM, amount=Decimal("50000"), reason="Cold")
    before = paid.events.count()
    apply_midtrans(paid, "partial_refund", refund_amount="50000.00")
    assert paid.events.count() == before


def test_refund_above_what_was_paid_or_zero_is_refused(gw, paid):
    with pytest.raises(DomainError, match=r"At most 150000\.00"):
        payment_refund(payment=paid, actor=SYSTEM, amount=Decimal("150001"), reason="x")
    with pytest.raises(DomainError, match="more than zero"):
        payment_refund(payment=paid, actor=SYSTEM, amount=Decimal("0"), reason="x")
    with pytest.raises(DomainError, match="reason"):
        payment_refund(payment=paid, actor=SYSTEM, reason="  ")
    assert len(gw.calls) == 0


def test_refund_outage_changes_nothing(gw, paid):
    stubs.stub_core_error(responses.POST, f"/v2/{paid.gateway_order_id}/refund", status=500)
    before = paid.events.count()
    with pytest.raises(GatewayError):
        payment_refund(payment=paid, actor=SYSTEM, amount=Decimal("1000"), reason="x")
    paid.refresh_from_db()
    assert paid.status == Status.PAID
    assert paid.refunded_amount == 0
    assert paid.events.count() == before


def test_cash_refund_is_recorded_here(pay_merchant, owner):
    payment = payment_record_cash(
        merchant=pay_merchant,
        reference_kind="order",
        reference_id="9",
        amount_due=Decimal("30000"),
        amount_paid=Decimal("30000"),
        actor=Actor.staff(owner),
    ).payment
    partial = payment_refund(
        payment=payment, actor=SYSTEM, amount=Decimal("10000"), reason="Wrong size"
    )
    assert (partial.status, partial.refunded_amount) == (
        Status.PARTIALLY_REFUNDED,
        Decimal("10000"),
    )
    full = payment_refund(payment=partial, actor=SYSTEM, reason="Returned")
    assert (full.status, full.refunded_amount) == (Status.REFUNDED, Decimal("30000"))
