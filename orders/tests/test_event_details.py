"""An order's history, as its owner reads it on the order page: how much, and why."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from orders.event_details import event_details
from orders.models import OrderEvent
from orders.tests.factories import OrderEventFactory, OrderFactory

REFUND = {"payment_id": 7, "amount": "46000.00", "refunded_total": "46000.00", "reason": "cold"}


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "id",
            {
                "Pembayaran": 7,
                "Jumlah": "Rp 46.000",
                "Total dikembalikan sejauh ini": "Rp 46.000",
                "Alasan": "cold",
            },
        ),
        (
            "en",
            {
                "Payment": 7,
                "Amount": "IDR 46,000",
                "Refunded so far": "IDR 46,000",
                "Reason": "cold",
            },
        ),
    ],
)
def test_a_refund_says_how_much_and_why_in_the_readers_language(language, expected):
    with translation.override(language):
        assert event_details(REFUND, "IDR") == expected


def test_a_discount_writes_its_value_as_what_it_is():
    with translation.override("en"):
        amount = event_details({"discount_kind": "amount", "value": "5000.00"}, "IDR")
        percent = event_details({"discount_kind": "percent", "value": "10"}, "IDR")
        removed = event_details({"removed": True, "total": "20000.00"}, "IDR")
    assert amount == {"Discount": "Amount off the bill", "Discount value": "IDR 5,000"}
    assert percent == {"Discount": "Percent of the bill", "Discount value": "10 %"}
    assert removed == {"Discount removed": "Yes", "Order total": "IDR 20,000"}


def test_payment_statuses_lines_and_unknown_keys():
    payload = {
        "payment_from": "unpaid",
        "payment_to": "paid",
        "lines": [{"line_id": 3, "product": "Kopi", "quantity": 2, "modifiers": []}],
        "stock_returned": {"12": 2},
        "something_new": "as stored",
    }
    with translation.override("id"):
        shown = event_details(payload, "IDR")
    assert shown["Status pembayaran sebelum"] == "Belum dibayar"
    assert shown["Status pembayaran sesudah"] == "Lunas"
    assert shown["Baris"] == [{"Baris": 3, "Produk": "Kopi", "Kuantitas": 2, "Pilihan": []}]
    assert shown["Unit kembali ke stok, per id produk"] == {"12": 2}
    assert shown["something_new"] == "as stored"


def test_what_is_not_an_amount_is_shown_as_stored():
    assert event_details({"amount": "n/a"}, "IDR") == {"Amount": "n/a"}
    assert event_details(["not", "a", "dict"], "IDR") == ["not", "a", "dict"]


@pytest.mark.django_db
def test_the_order_page_shows_the_refund_in_rupiah_without_a_query_per_event(merchant, owner_admin):
    order = OrderFactory(merchant=merchant)
    OrderEventFactory(order=order, kind=OrderEvent.Kind.REFUND, payload=REFUND)
    url = reverse("admin:orders_order_change", args=[order.pk])
    page = owner_admin.get(url, HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "<dt>Jumlah</dt><dd>Rp 46.000</dd>" in page
    assert "<dt>Alasan</dt><dd>cold</dd>" in page
    assert "46000.00" not in page

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            owner_admin.get(url, HTTP_ACCEPT_LANGUAGE="id")
        return len(captured)

    one_event = queries()
    OrderEventFactory.create_batch(5, order=order, kind=OrderEvent.Kind.REFUND, payload=REFUND)
    assert queries() == one_event


def test_a_reason_left_empty_says_nothing():
    assert event_details({"reason": "", "total": "1000.00"}, "IDR") == {"Order total": "IDR 1,000"}


@pytest.mark.parametrize(
    ("kind", "status", "label"),
    [
        (OrderEvent.Kind.STATUS, "confirmed", "Dikonfirmasi"),
        (OrderEvent.Kind.PAYMENT, "paid", "Lunas"),
        (OrderEvent.Kind.CREATED, "", "—"),
        (OrderEvent.Kind.STATUS, "something_old", "something_old"),
    ],
)
def test_statuses_are_named_as_the_order_page_names_them(kind, status, label):
    with translation.override("id"):
        assert OrderEvent(kind=kind).status_label(status) == label


def test_an_event_names_its_change_in_the_readers_language():
    event = OrderEvent(kind=OrderEvent.Kind.PAYMENT, from_status="unpaid", to_status="paid")
    with translation.override("id"):
        assert str(event) == "Status pembayaran berubah Belum dibayar → Lunas"
