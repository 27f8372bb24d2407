"""The lists fit and read as a merchant reads them: no merchant column for one merchant, the
order's number on payments, money as money, marks only for problems, JSON as key/value lists."""

from decimal import Decimal

import pytest
from django.urls import reverse

from merchants.money import format_money
from merchants.tests.factories import MembershipFactory
from orders.tests.factories import OrderEventFactory, OrderFactory
from payments.tests.factories import PaymentEventFactory, PaymentFactory

pytestmark = pytest.mark.django_db
ORDERS = reverse("admin:orders_order_changelist")
PAYMENTS = reverse("admin:payments_payment_changelist")


def columns(page) -> list[str]:
    return [header["class_attrib"] for header in page.context["result_headers"]]


def test_one_merchant_no_merchant_column_nor_filter(client, owner, merchant):
    OrderFactory(merchant=merchant)
    client.force_login(owner)
    for url in (ORDERS, PAYMENTS, reverse("admin:catalog_product_changelist")):
        page = client.get(url)
        assert page.status_code == 200
        assert not [c for c in columns(page) if "column-merchant" in c], url
        assert "merchant__id__exact" not in page.text


def test_several_merchants_see_the_column(client, owner, merchant, other_merchant):
    MembershipFactory(user=owner, merchant=other_merchant, role=100)
    client.force_login(owner)
    assert [c for c in columns(client.get(ORDERS)) if "column-merchant" in c]


def test_order_list_shows_money_and_short_columns(client, owner, merchant):
    OrderFactory(merchant=merchant, total_amount=Decimal(46000))
    client.force_login(owner)
    page = client.get(ORDERS)
    assert format_money(Decimal(46000), "IDR") in page.text
    assert "46000.00" not in page.text
    assert len(page.context["result_headers"]) <= 9  # the checkbox and eight columns


def test_payments_name_the_order_and_mark_only_problems(client, owner, merchant):
    order = OrderFactory(merchant=merchant)
    healthy = PaymentFactory(merchant=merchant, reference_id=str(order.pk), status="paid")
    PaymentFactory(
        merchant=merchant, reference_id=str(order.pk), amount_mismatch=True, status="paid"
    )
    foreign = OrderFactory(merchant=OrderFactory().merchant)
    PaymentFactory(merchant=merchant, reference_id=str(foreign.pk), gateway_order_id="ODD-1")
    client.force_login(owner)
    page = client.get(PAYMENTS)
    link = f'href="{reverse("admin:orders_order_change", args=[order.pk])}">{order.number}</a>'
    assert page.text.count(link) == 2
    assert foreign.number not in page.text  # another merchant's order is never named
    assert page.text.count("problem-mark") == 1
    assert "icon-no" not in page.text
    detail = client.get(reverse("admin:payments_payment_change", args=[healthy.pk]))
    assert "icon-no" not in detail.text
    assert "problem-mark" not in detail.text


def test_payment_list_reads_labels_in_one_query_per_kind(
    client, owner, merchant, django_assert_max_num_queries
):
    for _ in range(3):
        order = OrderFactory(merchant=merchant)
        PaymentFactory(merchant=merchant, reference_id=str(order.pk))
    client.force_login(owner)
    client.get(PAYMENTS)  # warm the session
    with django_assert_max_num_queries(12) as captured:
        client.get(PAYMENTS)
    assert len([q for q in captured if 'FROM "orders_order"' in q["sql"]]) == 1


def test_raw_json_reads_as_key_value_lists(client, owner, merchant):
    payment = PaymentFactory(merchant=merchant)
    PaymentEventFactory(
        payment=payment,
        raw={"transaction_status": "settlement", "va": {"bank": "bca<script>"}, "ids": [1, 2]},
    )
    order = OrderFactory(merchant=merchant)
    OrderEventFactory(order=order, payload={"reason": "Cold <b>coffee</b>"})
    client.force_login(owner)
    page = client.get(reverse("admin:payments_payment_change", args=[payment.pk]))
    # (PostgreSQL's jsonb keeps its own key order: each pair is checked on its own.)
    assert "<dt>transaction_status</dt><dd>settlement</dd>" in page.text
    assert '<dt>va</dt><dd><dl class="kv"><dt>bank</dt><dd>bca&lt;script&gt;</dd>' in page.text
    assert '<ol class="kv-list"><li>1</li><li>2</li></ol>' in page.text
    page = client.get(reverse("admin:orders_order_change", args=[order.pk]))
    # An order event names its keys for people (orders/event_details.py), escaped all the same.
    assert "<dt>Reason</dt><dd>Cold &lt;b&gt;coffee&lt;/b&gt;</dd>" in page.text


def test_the_operator_reads_the_whole_gateway_log(client, operator, owner, merchant):
    PaymentEventFactory(
        payment=None, kind="notification", signature_valid=False, raw={"order_id": "LOST-1"}
    )
    client.force_login(operator)
    page = client.get(reverse("admin:payments_paymentevent_changelist"))
    assert page.status_code == 200
    assert page.text.count("problem-mark") == 1
    event = page.context["cl"].result_list[0]
    detail = client.get(reverse("admin:payments_paymentevent_change", args=[event.pk]))
    assert "<dt>order_id</dt><dd>LOST-1</dd>" in detail.text
    assert (
        client.post(reverse("admin:payments_paymentevent_delete", args=[event.pk])).status_code
        == 403
    )
    client.force_login(owner)
    assert client.get(reverse("admin:payments_paymentevent_changelist")).status_code == 403
