"""Payment methods and split tenders: part or all of what is due, by any of the merchant's
methods; the order is paid once its payments cover the total."""

from decimal import Decimal

import pytest
import responses

from orders.models import Order
from orders.reports import daily_report
from orders.tests.paying import act, place
from payments.models import Payment, PaymentMethod
from payments.tests import stubs
from payments.tests.factories import PaymentMethodFactory

pytestmark = pytest.mark.django_db
METHODS = "/api/v1/payment-methods"
D = Decimal
Kind = PaymentMethod.Kind


@pytest.fixture
def methods(merchant):
    return {
        kind: PaymentMethodFactory(merchant=merchant, kind=kind, name=name, sort_order=index)
        for index, (kind, name) in enumerate(
            [
                (Kind.CASH, "Cash"),
                (Kind.CARD, "BCA EDC"),
                (Kind.QRIS_STATIC, "QRIS (counter)"),
                (Kind.TRANSFER, "Transfer"),
                (Kind.MIDTRANS_SNAP, "Online (Snap)"),
                (Kind.MIDTRANS_QRIS, "QRIS (dynamic)"),
            ]
        )
    }


def tender(client, order, method, amount=None, **extra):
    body = {"method_id": method.pk, **extra}
    if amount is not None:
        body["amount"] = str(amount)
    return act(client, order, "payments", body)


def test_owners_set_up_payment_methods(owner_client, officer_client, merchant):
    body = {"kind": "card", "name": "BCA EDC"}
    response = owner_client.post(METHODS, body, format="json")
    assert response.status_code == 201, response.content
    assert PaymentMethod.objects.get().merchant == merchant
    assert owner_client.post(METHODS, {**body, "name": "bca edc"}, format="json").status_code == 400
    assert (
        owner_client.post(METHODS, {"kind": "cheque", "name": "x"}, format="json").status_code
        == 400
    )
    assert officer_client.get(METHODS).json()["results"][0]["name"] == "BCA EDC"
    assert (
        officer_client.post(METHODS, {"kind": "cash", "name": "Till"}, format="json").status_code
        == 403
    )


def test_card_then_cash_with_change(officer_client, nasi_goreng, methods):
    """51750 due: 30000 on the card, then 25000 cash for the 21750 left (21800 rounded)."""
    order = place(officer_client, (nasi_goreng, 2))
    response = tender(officer_client, order, methods[Kind.CARD], 30000, reference="APPR 123456")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["amount_due"], body["order_payment_status"], body["change"]) == (
        "21750.00",
        "unpaid",
        "0.00",
    )
    assert body["payment"]["payment_method_name"] == "BCA EDC"
    assert body["payment"]["tender_reference"] == "APPR 123456"
    response = tender(officer_client, order, methods[Kind.CASH], 25000)
    body = response.json()
    assert (body["amount_due"], body["order_payment_status"], body["change"]) == (
        "0.00",
        "paid",
        "3200.00",
    )
    assert body["payment"]["amount"] == "21800.00"
    assert body["amount_paid"] == "51800.00"
    detail = officer_client.get(f"/api/v1/orders/{order.pk}").json()
    assert [p["payment_method_name"] for p in detail["payments"]] == ["Cash", "BCA EDC"]
    assert detail["amount_due"] == "0.00"


def test_cash_short_of_the_rest_pays_part(officer_client, nasi_goreng, methods):
    order = place(officer_client, (nasi_goreng, 2))
    body = tender(officer_client, order, methods[Kind.CASH], 20000).json()
    assert (body["payment"]["amount"], body["change"], body["amount_due"]) == (
        "20000.00",
        "0.00",
        "31750.00",
    )
    body = tender(officer_client, order, methods[Kind.QRIS_STATIC]).json()  # all the rest
    assert (body["payment"]["amount"], body["order_payment_status"]) == ("31750.00", "paid")


def test_non_cash_never_takes_more_than_is_due(officer_client, kopi, methods):
    order = place(officer_client, (kopi, 1))
    response = tender(officer_client, order, methods[Kind.CARD], 18001)
    assert response.status_code == 400
    assert "cannot take more than the 18000.00 due" in response.json()["error"]["message"]
    assert not Payment.objects.exists()


def test_methods_switched_off_or_of_another_merchant_are_refused(
    officer_client, kopi, methods, other_merchant
):
    order = place(officer_client, (kopi, 1))
    card = methods[Kind.CARD]
    card.is_active = False
    card.save()
    response = tender(officer_client, order, card)
    assert response.status_code == 400
    assert "BCA EDC is switched off" in response.json()["error"]["message"]
    theirs = PaymentMethodFactory(merchant=other_merchant, kind=Kind.CARD)
    response = tender(officer_client, order, theirs)
    assert response.status_code == 400
    assert "method_id" in response.json()["error"]["details"]


def test_a_paid_order_takes_no_more_tenders(officer_client, kopi, methods):
    order = place(officer_client, (kopi, 1))
    tender(officer_client, order, methods[Kind.CARD])
    response = tender(officer_client, order, methods[Kind.CASH], 20000)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "order_already_paid"


@responses.activate
def test_a_gateway_method_starts_a_charge_for_what_is_left(
    officer_client, pay_merchant, nasi_goreng, methods
):
    order = place(officer_client, (nasi_goreng, 2))
    tender(officer_client, order, methods[Kind.CARD], 30000)
    stubs.stub_qris_charge()
    response = tender(officer_client, order, methods[Kind.MIDTRANS_QRIS])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["payment"]["amount"] == "21750.00"
    assert body["payment"]["qr_string"].startswith("000201")
    assert body["order_payment_status"] == "pending"
    payment = Payment.objects.get(pk=body["payment"]["id"])
    assert payment.payment_method == methods[Kind.MIDTRANS_QRIS]
    # Settled at the gateway: the order is paid.
    from payments.tests.factories import apply_midtrans

    apply_midtrans(payment, "settlement")
    order.refresh_from_db()
    assert (order.payment_status, order.amount_due) == ("paid", D(0))


@responses.activate
def test_snap_for_part_of_the_order_is_one_line(officer_client, pay_merchant, kopi, methods):
    import json

    order = place(officer_client, (kopi, 2))
    tender(officer_client, order, methods[Kind.CASH], 10000)
    stubs.stub_snap_create()
    response = tender(officer_client, order, methods[Kind.MIDTRANS_SNAP])
    assert response.status_code == 201, response.content
    sent = json.loads(responses.calls[0].request.body)
    assert sent["transaction_details"]["gross_amount"] == 26000
    assert [i["name"] for i in sent["item_details"]] == [f"Order {order.number} (part)"]


def test_refunds_name_the_payment(owner_client, kopi, methods):
    order = place(owner_client, (kopi, 2))
    card = tender(owner_client, order, methods[Kind.CARD], 20000).json()["payment"]
    tender(owner_client, order, methods[Kind.CASH], 20000)
    response = act(owner_client, order, "refund", {"reason": "Cold"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "payment_id_required"
    response = act(owner_client, order, "refund", {"reason": "Cold", "payment_id": card["id"]})
    assert response.status_code == 200, response.content
    assert response.json()["payment"]["status"] == "refunded"
    assert Order.objects.get(pk=order.pk).payment_status == "partially_refunded"


def test_pay_cash_is_a_shortcut_for_the_cash_method(officer_client, kopi, methods):
    order = place(officer_client, (kopi, 1))
    response = act(officer_client, order, "pay-cash", {"amount_paid": "20000"})
    assert response.status_code == 200
    assert Payment.objects.get().payment_method == methods[Kind.CASH]


def test_pay_cash_takes_the_rest_after_a_card(officer_client, nasi_goreng, methods):
    order = place(officer_client, (nasi_goreng, 2))
    tender(officer_client, order, methods[Kind.CARD], 30000)
    response = act(officer_client, order, "pay-cash", {"amount_paid": "21800"})
    assert response.status_code == 200, response.content
    # `amount_due` is what this cash paid (the rest, rounded), kept from before split tenders;
    # `order_amount_due` is what the order still owes.
    assert response.json() | {"payment_id": 0} == {
        "payment_id": 0,
        "amount_due": "21800.00",
        "amount_paid": "21800.00",
        "change": "0.00",
        "order_amount_due": "0.00",
        "order_payment_status": "paid",
    }


def test_pay_cash_after_a_card_answers_what_the_order_still_owes(
    officer_client, nasi_goreng, methods
):
    order = place(officer_client, (nasi_goreng, 2))  # 51750
    tender(officer_client, order, methods[Kind.CARD], 30000)
    response = act(officer_client, order, "pay-cash", {"amount_paid": "25000"})
    body = response.json()
    assert (body["amount_due"], body["change"], body["order_amount_due"]) == (
        "21800.00",
        "3200.00",
        "0.00",
    )
    detail = officer_client.get(f"/api/v1/orders/{order.pk}").json()
    assert body["order_amount_due"] == detail["amount_due"]


@responses.activate
def test_payment_results_say_what_the_order_still_owes(
    officer_client, owner_client, pay_merchant, nasi_goreng, methods
):
    """51750 due, 30000 on the card: a Snap charge for the 21750 left is cancelled, a second
    one expires, a third is paid; every answer carries the order's `amount_due`."""
    order = place(officer_client, (nasi_goreng, 2))
    card = tender(officer_client, order, methods[Kind.CARD], 30000).json()["payment"]

    def snap_for_the_rest():
        stubs.stub_snap_create()
        response = tender(officer_client, order, methods[Kind.MIDTRANS_SNAP])
        assert response.status_code == 201, response.content
        return Payment.objects.get(pk=response.json()["payment"]["id"])

    first = snap_for_the_rest()
    stubs.stub_cancel(first.gateway_order_id, first.amount)
    body = act(officer_client, order, "cancel-payment").json()
    assert (body["payment"]["status"], body["order_payment_status"], body["amount_due"]) == (
        "cancelled",
        "unpaid",
        "21750.00",
    )

    second = snap_for_the_rest()
    stubs.stub_expire(second.gateway_order_id, second.amount)
    body = act(officer_client, order, "expire-payment").json()
    # A part-paid bill is not cancelled when its charge expires: the rest is still due.
    assert (body["payment"]["status"], body["order_status"], body["amount_due"]) == (
        "expired",
        "pending",
        "21750.00",
    )

    third = snap_for_the_rest()
    stubs.stub_status(third.gateway_order_id, "settlement", third.amount)
    body = act(officer_client, order, "check-status").json()
    assert (body["order_payment_status"], body["amount_due"]) == ("paid", "0.00")

    response = act(
        owner_client, order, "refund", {"reason": "Card slip lost", "payment_id": card["id"]}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["order_payment_status"], body["amount_due"]) == ("partially_refunded", "0.00")


def test_takings_per_payment_method_in_the_daily_report(
    officer_client, merchant, nasi_goreng, kopi, methods
):
    first = place(officer_client, (nasi_goreng, 2))
    tender(officer_client, first, methods[Kind.CARD], 30000)
    tender(officer_client, first, methods[Kind.CASH], 22000)
    second = place(officer_client, (kopi, 1))
    tender(officer_client, second, methods[Kind.QRIS_STATIC])
    report = daily_report(merchant=merchant, day=first.business_date)
    assert [(m.label, m.amount) for m in report.methods] == [
        ("Cash", D(21800)),
        ("BCA EDC", D(30000)),
        ("QRIS (counter)", D(18000)),
    ]
    assert (report.cash, report.non_cash) == (D(21800), D(48000))
    assert report.figures.total == D(51750 + 18000)
    body = officer_client.get("/api/v1/reports/daily").json()
    assert [(m["label"], m["payment_method_id"]) for m in body["payment_methods"]] == [
        ("Cash", methods[Kind.CASH].pk),
        ("BCA EDC", methods[Kind.CARD].pk),
        ("QRIS (counter)", methods[Kind.QRIS_STATIC].pk),
    ]


def test_a_merchant_that_completes_paid_orders(officer_client, merchant, kopi, methods):
    merchant.complete_when_paid = True
    merchant.save()
    order = place(officer_client, (kopi, 1))
    tender(officer_client, order, methods[Kind.CARD], 8000)
    assert Order.objects.get(pk=order.pk).status == "pending"
    body = tender(officer_client, order, methods[Kind.CASH], 10000).json()
    assert (body["order_status"], body["order_payment_status"]) == ("completed", "paid")
    kinds = list(order.events.values_list("kind", "to_status"))
    assert ("status", "confirmed") in kinds
    assert ("status", "completed") in kinds


# --- the counter sale ---------------------------------------------------------------------


def sale(client, *pairs, payments, complete=True, **headers):
    from orders.tests.conftest import lines

    body = {"lines": lines(*pairs), "order_type": "takeaway", "payments": payments}
    if complete is not None:
        body["complete"] = complete
    return client.post("/api/v1/orders", body, format="json", **headers)


def test_a_counter_sale_is_created_paid_and_completed_at_once(
    officer_client, nasi_goreng, croissant, methods
):
    payments = [
        {"method_id": methods[Kind.CARD].pk, "amount": "30000", "reference": "APPR 1"},
        {"method_id": methods[Kind.CASH].pk, "amount": "50000"},
    ]
    body = {"lines": [{"product_id": nasi_goreng.pk, "qty": 2}], "payments": payments}
    quoted = officer_client.post("/api/v1/orders/quote", {**body, "complete": True}, format="json")
    assert quoted.status_code == 200, quoted.content
    assert (quoted.json()["amount_due"], quoted.json()["change"]) == ("0.00", "28200.00")
    response = sale(officer_client, (nasi_goreng, 2), (croissant, 1), payments=payments)
    assert response.status_code == 201, response.content
    order = response.json()
    assert (order["status"], order["payment_status"], order["amount_due"]) == (
        "completed",
        "paid",
        "0.00",
    )
    # The worked example of docs/orders.md "The counter sale".
    assert (order["total_amount"], order["rounded_amount"], order["amount_paid"]) == (
        "73750.00",
        "73800.00",
        "73800.00",
    )
    cash = next(p for p in order["payments"] if p["method"] == "cash")
    assert (cash["amount"], cash["change_amount"]) == ("43800.00", "6200.00")  # 73750 − 30000
    croissant.refresh_from_db()
    assert croissant.stock == 4


def test_payments_short_of_the_total_write_nothing(officer_client, nasi_goreng, croissant, methods):
    payments = [{"method_id": methods[Kind.CARD].pk, "amount": "30000"}]
    response = sale(officer_client, (nasi_goreng, 2), (croissant, 1), payments=payments)
    assert response.status_code == 400
    assert "cover" in response.json()["error"]["message"]
    assert not Order.objects.exists()
    assert not Payment.objects.exists()
    croissant.refresh_from_db()
    assert croissant.stock == 5
    too_much = [{"method_id": methods[Kind.CARD].pk, "amount": "99999"}]
    assert sale(officer_client, (nasi_goreng, 2), payments=too_much).status_code == 400
    assert not Order.objects.exists()


def test_a_counter_sale_takes_no_gateway_method_and_no_customer(
    officer_client, customer_client, kopi, methods
):
    snap = [{"method_id": methods[Kind.MIDTRANS_SNAP].pk}]
    response = sale(officer_client, (kopi, 1), payments=snap)
    assert response.status_code == 400
    assert "paid at the gateway" in response.json()["error"]["message"]
    cash = [{"method_id": methods[Kind.CASH].pk}]
    assert sale(customer_client, (kopi, 1), payments=cash).status_code == 403
    assert sale(officer_client, (kopi, 1), payments=[]).status_code == 400  # complete, unpaid
    assert not Order.objects.exists()


def test_paid_without_complete_stays_open_unless_the_merchant_completes(
    officer_client, merchant, kopi, methods
):
    cash = [{"method_id": methods[Kind.CASH].pk, "amount": "20000"}]
    response = sale(officer_client, (kopi, 1), payments=cash, complete=None)
    assert (response.json()["status"], response.json()["payment_status"]) == ("pending", "paid")
    merchant.complete_when_paid = True
    merchant.save()
    response = sale(officer_client, (kopi, 1), payments=cash, complete=None)
    assert response.json()["status"] == "completed"


def test_a_replayed_counter_sale_pays_once(officer_client, kopi, methods):
    cash = [{"method_id": methods[Kind.CASH].pk, "amount": "20000"}]
    first = sale(officer_client, (kopi, 1), payments=cash, HTTP_IDEMPOTENCY_KEY="till-7")
    again = sale(officer_client, (kopi, 1), payments=cash, HTTP_IDEMPOTENCY_KEY="till-7")
    assert first.json()["id"] == again.json()["id"]
    assert Payment.objects.count() == 1
