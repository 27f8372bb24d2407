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
