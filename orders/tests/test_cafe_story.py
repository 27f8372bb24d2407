"""A table's evening through the API, to the rupiah (the worked example of docs/orders.md):
two lines with options, a second round, a line voided, the bill split in two, a discount on
one half, each half paid by two tenders; the reports add up the same money."""

from decimal import Decimal

import pytest

from catalog.tests.factories import (
    ModifierGroupFactory,
    ModifierOptionFactory,
    ProductFactory,
    ProductModifierGroupFactory,
)
from merchants.tests.factories import TableLocationFactory
from orders.models import Order
from payments.tests.factories import PaymentMethodFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders"
D = Decimal


def money(value) -> str:
    return f"{D(value):.2f}"


def test_a_tables_evening_to_the_rupiah(owner_client, officer_client, merchant):
    latte = ProductFactory(merchant=merchant, name="Iced Latte", base_price=30000, tax_percent=10)
    croissant = ProductFactory(
        merchant=merchant,
        name="Croissant",
        base_price=20000,
        tax_percent=10,
        track_stock=True,
        stock=10,
    )
    size = ModifierGroupFactory(merchant=merchant, name="Size", min_select=1, max_select=1)
    regular = ModifierOptionFactory(group=size, name="Regular")
    large = ModifierOptionFactory(group=size, name="Large", price_delta=5000)
    shot = ModifierGroupFactory(merchant=merchant, name="Extra shot", min_select=0, max_select=2)
    espresso = ModifierOptionFactory(group=shot, name="Espresso", price_delta=6000)
    ProductModifierGroupFactory(product=latte, group=size, sort_order=0)
    ProductModifierGroupFactory(product=latte, group=shot, sort_order=1)
    card = PaymentMethodFactory(merchant=merchant, kind="card", name="BCA EDC")
    cash = PaymentMethodFactory(merchant=merchant, kind="cash", name="Cash")
    qris = PaymentMethodFactory(merchant=merchant, kind="qris_static", name="QRIS")
    table = TableLocationFactory(merchant=merchant, number="3")

    # 2 × Iced Latte, large, extra shot (41000 each) and 1 × Iced Latte, regular (30000).
    body = {
        "order_type": "dine_in",
        "table_id": table.pk,
        "lines": [
            {"product_id": latte.pk, "qty": 2, "modifier_option_ids": [large.pk, espresso.pk]},
            {"product_id": latte.pk, "qty": 1, "modifier_option_ids": [regular.pk]},
        ],
    }
    quote = officer_client.post(f"{URL}/quote", body, format="json").json()
    bill = officer_client.post(URL, body, format="json").json()
    assert (bill["subtotal_amount"], bill["tax_amount"], bill["total_amount"]) == (
        money(112000),
        money(11200),
        money(123200),
    )
    assert quote["total_amount"] == bill["total_amount"]
    url = f"{URL}/{bill['id']}"
    big_latte, small_latte = (item["id"] for item in bill["items"])

    # A second round: 2 × Croissant.
    bill = officer_client.post(
        f"{url}/lines", {"lines": [{"product_id": croissant.pk, "qty": 2}]}, format="json"
    ).json()
    assert bill["total_amount"] == money(167200)
    croissant_line = bill["items"][-1]["id"]

    # The regular latte was never made.
    bill = officer_client.post(
        f"{url}/lines/{small_latte}/void", {"reason": "Never made"}, format="json"
    ).json()
    assert (bill["subtotal_amount"], bill["tax_amount"], bill["total_amount"]) == (
        money(122000),
        money(12200),
        money(134200),
    )

    # Two friends pay apart: one latte and one croissant each.
    split = officer_client.post(
        f"{url}/split",
        {"lines": [{"line_id": big_latte, "qty": 1}, {"line_id": croissant_line, "qty": 1}]},
        format="json",
    ).json()
    first, second = split["order"], split["new_order"]
    assert first["total_amount"] == second["total_amount"] == money(67100)
    second_url = f"{URL}/{second['id']}"

    # The owner gives the second friend 10% off (before tax): 61000 − 6100 = 54900 + 5490.
    second = owner_client.post(
        f"{second_url}/discount",
        {"kind": "percent", "value": "10", "reason": "Birthday"},
        format="json",
    ).json()
    assert (second["discount_amount"], second["tax_amount"], second["total_amount"]) == (
        money(6100),
        money(5490),
        money(60390),
    )

    def pay(order_url, method, amount):
        response = officer_client.post(
            f"{order_url}/payments", {"method_id": method.pk, "amount": amount}, format="json"
        )
        assert response.status_code == 201, response.content
        return response.json()

    paid = pay(url, card, "50000")
    assert (paid["amount_due"], paid["order_payment_status"]) == (money(17100), "unpaid")
    paid = pay(url, cash, "20000")
    assert (paid["change"], paid["amount_due"], paid["order_payment_status"]) == (
        money(2900),
        money(0),
        "paid",
    )
    paid = pay(second_url, cash, "30000")
    assert (paid["change"], paid["amount_due"]) == (money(0), money(30390))
    paid = pay(second_url, qris, "30390")
    assert paid["order_payment_status"] == "paid"

    croissant.refresh_from_db()
    assert croissant.stock == 8
    assert Order.objects.filter(payment_status="paid").count() == 2

    # The reports add up the same money.
    daily = owner_client.get("/api/v1/reports/daily").json()
    figures = daily["figures"]
    assert figures == {
        "orders": 2,
        "gross": money(122000),
        "discounts": money(6100),
        "tax": money(11590),
        "service": money(0),
        "total": money(127490),
        "refunds": money(0),
        "net": money(127490),
    }
    takings = {line["label"]: line["net"] for line in daily["payment_methods"]}
    assert takings == {"Cash": money(47100), "BCA EDC": money(50000), "QRIS": money(30390)}
    assert sum(D(value) for value in takings.values()) == D(figures["total"])
    assert (daily["cash"], daily["non_cash"]) == (money(47100), money(80390))

    day = daily["date"]
    sales = owner_client.get(
        "/api/v1/reports/sales", {"from": day, "to": day, "group_by": "product"}
    ).json()
    rows = {
        row["name"]: (row["quantity"], row["sales"], row["discounts"]) for row in sales["results"]
    }
    assert rows == {
        "Iced Latte": (2, money(82000), money(4100)),
        "Croissant": (2, money(40000), money(2000)),
    }
    assert sales["totals"]["total"] == figures["total"]
    line_sales = sum(D(sales) for _, sales, _ in rows.values())
    line_discounts = sum(D(discounts) for _, _, discounts in rows.values())
    assert line_sales == D(figures["gross"])  # no promotions here: list prices were paid
    assert line_discounts == D(figures["discounts"])
