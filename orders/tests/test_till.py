"""The till's pages: who may open them, the receipt and the kitchen ticket, and the quote the
till prices its cart with, through the session the page uses (CSRF enforced)."""

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from catalog.tests.factories import (
    ModifierGroupFactory,
    ModifierOptionFactory,
    ProductFactory,
    ProductModifierGroupFactory,
)
from merchants.models import Membership, validate_tax_id
from merchants.tests.factories import MembershipFactory, TableLocationFactory, UserFactory
from orders.models import OrderEvent
from orders.till.printing import PAPER_COLUMNS
from payments.tests.factories import PaymentMethodFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(merchant):
    merchant.address = "Jl. Kemang Raya No. 12\nJakarta Selatan 12730"
    merchant.phone = "021-555-0101"
    merchant.tax_id = "01.234.567.8-901.000"
    merchant.receipt_footer = "Terima kasih!\nWi-Fi: kopikita / 12345678"
    merchant.save()
    latte = ProductFactory(
        merchant=merchant, name="Iced Caramel Macchiato Large", base_price=30000, tax_percent=10
    )
    size = ModifierGroupFactory(merchant=merchant, name="Size", min_select=1, max_select=1)
    ModifierOptionFactory(group=size, name="Regular")
    large = ModifierOptionFactory(group=size, name="Large", price_delta=5000)
    ProductModifierGroupFactory(product=latte, group=size)
    croissant = ProductFactory(
        merchant=merchant, name="Croissant", base_price=20000, tax_percent=10
    )
    return {
        "latte": latte,
        "large": large,
        "croissant": croissant,
        "table": TableLocationFactory(merchant=merchant, number="7"),
        "cash": PaymentMethodFactory(merchant=merchant, kind="cash", name="Cash"),
        "card": PaymentMethodFactory(merchant=merchant, kind="card", name="BCA EDC"),
    }


@pytest.fixture
def cashier_client(officer):
    officer.is_staff = True
    officer.save()
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    return client


def _api(client, method, path, body=None, merchant=None):
    client.get("/till/")  # sets the CSRF cookie as the page does
    token = client.cookies["csrftoken"].value
    headers = {"X-CSRFToken": token}
    if merchant is not None:
        headers["X-Merchant"] = merchant.slug
    return getattr(client, method)(
        f"/api/v1{path}",
        data=json.dumps(body) if body is not None else None,
        content_type="application/json",
        headers=headers,
    )


def _paid_sale(client, shop, merchant):
    body = {
        "lines": [
            {"product_id": shop["latte"].pk, "qty": 2, "modifier_option_ids": [shop["large"].pk]},
            {"product_id": shop["croissant"].pk, "qty": 1, "notes": "warm it up"},
        ],
        "order_type": "dine_in",
        "table_id": shop["table"].pk,
        "payments": [
            {"method_id": shop["card"].pk, "amount": "50000"},
            {"method_id": shop["cash"].pk, "amount": "50000"},
        ],
        "complete": True,
    }
    response = _api(client, "post", "/orders", body, merchant)
    assert response.status_code == 201, response.content
    return response.json()


def test_anonymous_is_sent_to_the_admin_login(client):
    response = client.get("/till/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/till/"


def test_a_cashier_gets_the_till_with_the_menu(cashier_client, shop):
    response = cashier_client.get("/till/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Iced Caramel Macchiato Large" in html
    assert 'src="/static/till/till.js"' in html
    assert 'src="/static/vendor/qrcode-generator/qrcode.js"' in html
    assert 'src="/static/backoffice/money.js"' in html
    # No inline code: only JSON data blocks, which the Content-Security-Policy allows.
    assert html.count("<script") == 5
    assert html.count('type="application/json"') == 2


def test_someone_without_a_membership_is_refused(client):
    user = UserFactory(is_staff=True)
    client.force_login(user)
    assert client.get("/till/").status_code == 403


def test_someone_with_several_shops_picks_one_as_in_the_admin(client, merchant, other_merchant):
    user = MembershipFactory(merchant=merchant, role=Membership.Role.OWNER).user
    MembershipFactory(user=user, merchant=other_merchant, role=Membership.Role.OFFICER)
    client.force_login(user)
    response = client.get("/till/")
    assert b"?merchant=other-shop" in response.content
    response = client.get("/till/?merchant=other-shop")
    assert response.status_code == 200
    assert response.context["merchant"] == other_merchant
    assert client.get("/till/").context["merchant"] == other_merchant  # remembered
    assert b"?merchant=kopi-test" in client.get("/till/?choose=1").content


def test_the_till_reads_the_menu_in_a_few_queries_however_long(
    cashier_client, shop, merchant, django_assert_max_num_queries
):
    cashier_client.get("/till/")
    with django_assert_max_num_queries(16) as small:
        cashier_client.get("/till/")
    for index in range(15):
        product = ProductFactory(merchant=merchant, name=f"Extra {index}")
        ProductModifierGroupFactory(product=product, group=shop["large"].group)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = cashier_client.get("/till/")
    assert len(response.context["menu"]["products"]) == 17


def test_the_quote_equals_the_created_order_through_the_session(cashier_client, shop, merchant):
    body = {
        "lines": [
            {"product_id": shop["latte"].pk, "qty": 2, "modifier_option_ids": [shop["large"].pk]},
            {"product_id": shop["croissant"].pk, "qty": 1},
        ],
        "order_type": "dine_in",
        "table_id": shop["table"].pk,
    }
    quote = _api(cashier_client, "post", "/orders/quote", body)
    assert quote.status_code == 200, quote.content
    order = _api(cashier_client, "post", "/orders", body)
    assert order.status_code == 201
    quote, order = quote.json(), order.json()
    for key in ("subtotal_amount", "discount_amount", "tax_amount", "total_amount"):
        assert quote[key] == order[key]
    assert quote["total_amount"] == "99000.00"  # (2 × 35000 + 20000) + 10% tax
    assert [i["line_subtotal_amount"] for i in quote["items"]] == [
        i["line_subtotal_amount"] for i in order["items"]
    ]


def test_the_session_api_needs_the_csrf_token(cashier_client, shop):
    response = cashier_client.post(
        "/api/v1/orders/quote",
        data=json.dumps({"lines": [{"product_id": shop["croissant"].pk, "qty": 1}]}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "CSRF" in response.content.decode()


def test_the_receipt_shows_the_shop_the_lines_and_how_it_was_paid(cashier_client, shop, merchant):
    order = _paid_sale(cashier_client, shop, merchant)
    response = cashier_client.get(f"/till/orders/{order['id']}/receipt/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Kopi Test",
        "Jl. Kemang Raya No. 12",
        "NPWP 01.234.567.8-901.000",
        order["number"],
        "Table 7",
        "+ Large +5.000",
        "* warm it up",
        "Rp 99.000",
        "BCA EDC",
        "Terima kasih!",
        "/static/till/paper-58.css",
    ):
        assert text in html, text
    assert (
        "/static/till/paper-80.css"
        in cashier_client.get(f"/till/orders/{order['id']}/receipt/?width=80").content.decode()
    )


def test_the_receipt_is_printed_in_the_shops_language_whatever_the_cashier_reads(
    cashier_client, shop, merchant
):
    """The receipt is the customer's paper: an Indonesian shop prints it in Indonesian even for
    a cashier whose till is in English."""
    order = _paid_sale(cashier_client, shop, merchant)
    merchant.language = "id"
    merchant.save(update_fields=["language"])
    url = f"/till/orders/{order['id']}/receipt/"
    html = cashier_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    text = cashier_client.get(url + "?format=text", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for printed in (html, text):
        assert "Pajak" in printed
        assert "Kembalian" in printed
        assert "Change" not in printed
    till = cashier_client.get("/till/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Kembalian" not in till  # the cashier's own screen stays in their language


@pytest.mark.parametrize("width", [58, 80])
def test_the_text_receipt_fits_the_roll(cashier_client, shop, merchant, width):
    order = _paid_sale(cashier_client, shop, merchant)
    response = cashier_client.get(f"/till/orders/{order['id']}/receipt/?format=text&width={width}")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= PAPER_COLUMNS[width]
    assert any(line.startswith("2 x Iced Caramel") for line in lines)
    # Cash: 49000 due after the card, 50000 handed over, 1000 back.
    assert [line for line in lines if line.startswith("Change")] == [
        "Change".ljust(PAPER_COLUMNS[width] - 5) + "1.000"
    ]
    total = next(line for line in lines if line.startswith("TOTAL"))
    assert total.endswith("Rp 99.000")
    assert len(total) == PAPER_COLUMNS[width]


def test_the_kitchen_ticket_has_no_prices_and_marks_reprints(cashier_client, shop, merchant):
    order = _paid_sale(cashier_client, shop, merchant)
    url = f"/till/orders/{order['id']}/kitchen-ticket/?format=text"
    first = cashier_client.get(url).content.decode()
    assert "TABLE 7" in first
    assert "2 x Iced Caramel Macchiato Large" in first
    assert "+ Large" in first
    assert "! warm it up" in first
    assert "REPRINT" not in first
    assert "000" not in first.split("\n", 3)[-1]
    second = cashier_client.get(url).content.decode()
    assert "*** REPRINT 2 ***" in second
    html = cashier_client.get(url.replace("?format=text", "")).content.decode()
    assert "REPRINT 3" in html
    events = OrderEvent.objects.filter(order_id=order["id"], kind=OrderEvent.Kind.KITCHEN_TICKET)
    assert events.count() == 3


def test_another_shops_order_is_not_found(cashier_client, other_merchant):
    from orders.tests.factories import OrderFactory

    order = OrderFactory(merchant=other_merchant)
    assert cashier_client.get(f"/till/orders/{order.pk}/receipt/").status_code == 404
    assert cashier_client.get(f"/till/orders/{order.pk}/kitchen-ticket/").status_code == 404
    assert not OrderEvent.objects.filter(order=order).exists()


@pytest.mark.parametrize("value", ["01.234.567.8-901.000", "3201234567890123", ""])
def test_an_npwp_has_15_or_16_digits(value):
    validate_tax_id(value)


@pytest.mark.parametrize("value", ["12345", "01.234.567.8-901.00A", "1" * 17])
def test_a_wrong_npwp_is_refused(value):
    with pytest.raises(ValidationError, match="15 or 16 digits"):
        validate_tax_id(value)


def test_prices_in_the_menu_are_decimal_strings(cashier_client, shop):
    menu = cashier_client.get("/till/").context["menu"]
    latte = next(p for p in menu["products"] if p["name"].startswith("Iced"))
    assert latte["price"] == "30000.00"
    assert latte["groups"][0]["options"][1] == {
        "id": shop["large"].pk,
        "name": "Large",
        "delta": "5000.00",
    }
    assert Decimal(menu["cash_step"]) == 100


def test_the_till_reads_in_indonesian_with_its_own_words_for_shared_english(cashier_client, shop):
    page = cashier_client.get("/till/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "Kembalian" in page  # change: the cash handed back
    assert "Pisah bill" in page  # the split button, not the order event "Split"
    strings = json.loads(page.split('id="till-strings" type="application/json">')[1].split("<")[0])
    assert strings["service"] == "Biaya layanan"  # the service charge, not a service product
    assert strings["paid"] == "Dibayar"  # an amount paid so far
    assert strings["status_paid"] == "Lunas"  # a bill paid in full


def test_the_receipt_shows_the_discount_with_its_reason_tax_and_service(
    cashier_client, shop, merchant
):
    merchant.officer_max_discount_percent = 10
    merchant.save()
    nasi = ProductFactory(
        merchant=merchant,
        name="Nasi Goreng",
        base_price=40000,
        tax_percent=10,
        service_charge_percent=5,
    )
    body = {
        "lines": [{"product_id": nasi.pk, "qty": 1}],
        "order_type": "dine_in",
        "table_id": shop["table"].pk,
        "notes": "Birthday: candles with the cake",
    }
    order = _api(cashier_client, "post", "/orders", body).json()
    discount = {"kind": "percent", "value": "10", "reason": "Regular customer"}
    response = _api(cashier_client, "post", f"/orders/{order['id']}/discount", discount)
    assert response.status_code == 200, response.content
    # 40.000 less 10 % is 36.000; tax 10 % and service 5 % are on the discounted amount.
    assert response.json()["total_amount"] == "41400.00"

    html = cashier_client.get(f"/till/orders/{order['id']}/receipt/").content.decode()
    for row in (
        "<span>Discount (Regular customer)</span><span>-4.000</span>",
        "<span>Tax</span><span>3.600</span>",
        "<span>Service</span><span>1.800</span>",
        "<span>TOTAL</span><span>Rp 41.400</span>",
    ):
        assert row in html, row
    text = cashier_client.get(f"/till/orders/{order['id']}/receipt/?format=text&width=80")
    lines = text.content.decode().splitlines()
    for label, amount in (
        ("Discount (Regular customer)", "-4.000"),
        ("Tax", "3.600"),
        ("Service", "1.800"),
    ):
        assert label.ljust(PAPER_COLUMNS[80] - len(amount)) + amount in lines, label

    ticket = cashier_client.get(f"/till/orders/{order['id']}/kitchen-ticket/?format=text")
    assert "Birthday: candles with the cake" in ticket.content.decode().splitlines()
    ticket = cashier_client.get(f"/till/orders/{order['id']}/kitchen-ticket/").content.decode()
    assert "<div>Birthday: candles with the cake</div>" in ticket
