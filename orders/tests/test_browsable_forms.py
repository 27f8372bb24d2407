"""The browsable API's forms fit each order action: the action's own fields, a raw body that
posts as it is, and links only to what answers a GET."""

import json
import re
from html import unescape

import pytest

from catalog.tests.factories import ProductFactory
from merchants.tests.factories import TableLocationFactory
from orders.models import Order
from orders.tests.factories import OrderFactory
from payments.tests.factories import PaymentMethodFactory

pytestmark = pytest.mark.django_db
HTML = {"HTTP_ACCEPT": "text/html"}


@pytest.fixture
def browser(client, officer):
    officer.is_staff = True
    officer.save()
    client.force_login(officer)
    return client


@pytest.fixture
def order(merchant):
    return OrderFactory(merchant=merchant, total_amount=51750, subtotal_amount=51750)


def _raw_content(html: str) -> str:
    match = re.search(r'<textarea[^>]*name="_content"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, "no raw data form"
    return unescape(match.group(1))


def _field_names(html: str) -> set[str]:
    return set(re.findall(r'name="([a-z_]+)"', html))


def test_the_create_form_is_a_body_that_posts_as_it_is(browser, merchant):
    product = ProductFactory(merchant=merchant, name="Kopi")
    html = browser.get("/api/v1/orders", **HTML).content.decode()
    assert "Lists are not currently supported" not in html
    body = json.loads(_raw_content(html))
    assert body["lines"][0]["product_id"] == product.pk
    response = browser.post(
        "/api/v1/orders", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert Order.objects.get(pk=response.json()["id"]).items.get().product_id == product.pk


def test_the_quote_form_has_the_same_example(browser, merchant):
    product = ProductFactory(merchant=merchant)
    html = browser.get("/api/v1/orders/quote", **HTML).content.decode()
    assert json.loads(_raw_content(html))["lines"][0]["product_id"] == product.pk


@pytest.mark.parametrize(
    ("suffix", "fields"),
    [
        ("cancel", {"reason"}),
        ("discount", {"kind", "value", "reason"}),
        ("move", {"table_id"}),
        ("pay-cash", {"amount_paid"}),
        ("payments", {"method_id", "amount", "reference"}),
    ],
)
def test_each_action_form_shows_its_own_fields(browser, order, merchant, suffix, fields):
    TableLocationFactory(merchant=merchant)
    PaymentMethodFactory(merchant=merchant, kind="cash", name="Cash")
    html = browser.get(f"/api/v1/orders/{order.pk}/{suffix}", **HTML).content.decode()
    names = _field_names(html)
    assert fields <= names, names
    assert "subtotal_amount" not in names  # not the order's own fields any more


def test_actions_without_a_body_show_only_a_button(browser, order):
    html = browser.get(f"/api/v1/orders/{order.pk}/confirm", **HTML).content.decode()
    assert json.loads(_raw_content(html)) == {}
    assert "payment_status" not in _field_names(html)


def test_lines_and_split_are_typed_as_json(browser, order, merchant):
    ProductFactory(merchant=merchant)
    for suffix in ("lines", "split"):
        html = browser.get(f"/api/v1/orders/{order.pk}/{suffix}", **HTML).content.decode()
        assert "Lists are not currently supported" not in html
        assert "lines" in json.loads(_raw_content(html))


def test_a_get_on_pay_cash_and_payments_says_what_is_due(browser, order, merchant):
    card = PaymentMethodFactory(merchant=merchant, kind="card", name="BCA EDC")
    cash = browser.get(f"/api/v1/orders/{order.pk}/pay-cash").json()
    assert cash == {
        "currency": "IDR",
        "total_amount": "51750.00",
        "amount_due": "51750.00",
        "cash_due": "51800.00",
    }
    tender = browser.get(f"/api/v1/orders/{order.pk}/payments").json()
    assert tender["amount_paid"] == "0.00"
    assert tender["payment_methods"] == [{"id": card.pk, "name": "BCA EDC", "kind": "card"}]


def test_the_order_page_links_only_actions_that_answer_a_get(browser, order):
    html = browser.get(f"/api/v1/orders/{order.pk}", **HTML).content.decode()
    assert f"/api/v1/orders/{order.pk}/pay-cash" in html
    assert f"/api/v1/orders/{order.pk}/payments" in html
    for suffix in ("confirm", "complete", "cancel", "refund", "split", "check-status"):
        assert f'href="http://testserver/api/v1/orders/{order.pk}/{suffix}' not in html
        assert f'href="/api/v1/orders/{order.pk}/{suffix}' not in html


def test_a_payments_refund_form_asks_for_the_refund(client, owner, merchant):
    from payments.tests.factories import PaymentFactory

    owner.is_staff = True
    owner.save()
    client.force_login(owner)
    payment = PaymentFactory(merchant=merchant)
    html = client.get(f"/api/v1/payments/{payment.pk}/refund", **HTML).content.decode()
    assert {"amount", "reason"} <= _field_names(html)
    assert "gateway_status" not in _field_names(html)
    html = client.get(f"/api/v1/payments/{payment.pk}/check-status", **HTML).content.decode()
    assert json.loads(_raw_content(html)) == {}


def _open_bill(client, merchant, table) -> dict:
    """A table's bill of two lines (three units), created as a cashier would."""
    kopi = ProductFactory(merchant=merchant, name="Kopi", base_price=18000)
    roti = ProductFactory(merchant=merchant, name="Roti", base_price=15750)
    body = {
        "lines": [{"product_id": kopi.pk, "qty": 2}, {"product_id": roti.pk, "qty": 1}],
        "order_type": "dine_in",
        "table_id": table.pk,
    }
    response = client.post("/api/v1/orders", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()


# What posting each action's example did, read from the answer.
ACTION_EFFECTS = {
    "lines": lambda answer: len(answer["items"]) == 3,
    "split": lambda answer: answer["new_order"]["items"][0]["quantity"] == 1,
    "discount": lambda answer: answer["staff_discount"]["reason"] == "Regular customer",
    "move": lambda answer: answer["table"]["number"] == "B2",
    "pay-cash": lambda answer: answer["change"] == "0.00",
    "payments": lambda answer: answer["order_payment_status"] == "paid",
    "void": lambda answer: len(answer["items"]) == 1,
    "refund": lambda answer: answer["payment"]["refunded_amount"] == "5100.00",
}


@pytest.mark.parametrize("action", list(ACTION_EFFECTS))
def test_each_action_raw_form_posts_as_it_is(client, owner, merchant, action):
    owner.is_staff = True
    owner.save()
    client.force_login(owner)  # refund is the owner's
    table = TableLocationFactory(merchant=merchant, number="A1")
    TableLocationFactory(merchant=merchant, number="B2")
    TableLocationFactory(merchant=merchant, number="C3", is_active=False)
    PaymentMethodFactory(merchant=merchant, kind="midtrans_qris", name="QRIS", sort_order=0)
    card = PaymentMethodFactory(merchant=merchant, kind="card", name="BCA EDC", sort_order=1)
    order = _open_bill(client, merchant, table)
    path = f"/api/v1/orders/{order['id']}/{action}"
    if action == "void":
        path = f"/api/v1/orders/{order['id']}/lines/{order['items'][0]['id']}/void"
    if action == "refund":  # a paid order: 51.750 on the card
        paid = client.post(
            f"/api/v1/orders/{order['id']}/payments",
            data=json.dumps({"method_id": card.pk}),
            content_type="application/json",
        )
        assert paid.status_code == 201, paid.content

    body = _raw_content(client.get(path, **HTML).content.decode())
    response = client.post(path, data=body, content_type="application/json")

    assert 200 <= response.status_code < 300, (body, response.content)
    assert ACTION_EFFECTS[action](response.json()), (body, response.json())


def test_an_officers_discount_example_stays_within_their_limit(browser, merchant):
    merchant.officer_max_discount_percent = 5
    merchant.save()
    order = _open_bill(browser, merchant, TableLocationFactory(merchant=merchant))
    path = f"/api/v1/orders/{order['id']}/discount"
    body = _raw_content(browser.get(path, **HTML).content.decode())
    assert json.loads(body)["value"] == "5"
    assert browser.post(path, data=body, content_type="application/json").status_code == 200
