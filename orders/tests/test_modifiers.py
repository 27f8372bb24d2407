"""Lines with modifiers, prices that include tax, and the quote that prices a cart unwritten."""

from decimal import Decimal

import pytest

from catalog.tests.factories import (
    ModifierGroupFactory,
    ModifierOptionFactory,
    ProductFactory,
    ProductModifierGroupFactory,
    PromotionFactory,
)
from orders.api.serializers import OrderQuoteSerializer
from orders.models import Order, OrderItem

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders"
QUOTE = "/api/v1/orders/quote"
D = Decimal


@pytest.fixture
def latte(merchant):
    """Iced Latte 30000 (10% tax, 5% service): Size (choose 1), Sugar (up to 1), Extra shot
    (up to 2, 6000 each)."""
    product = ProductFactory(
        merchant=merchant,
        name="Iced Latte",
        base_price=D(30000),
        tax_percent=D(10),
        service_charge_percent=D(5),
    )
    size = ModifierGroupFactory(merchant=merchant, name="Size", min_select=1, max_select=1)
    sugar = ModifierGroupFactory(merchant=merchant, name="Sugar", min_select=0, max_select=1)
    shot = ModifierGroupFactory(merchant=merchant, name="Extra shot", min_select=0, max_select=2)
    product.options = {
        "regular": ModifierOptionFactory(group=size, name="Regular"),
        "large": ModifierOptionFactory(group=size, name="Large", price_delta=D(5000)),
        "less": ModifierOptionFactory(group=sugar, name="Less sugar"),
        "shot": ModifierOptionFactory(group=shot, name="Espresso", price_delta=D(6000)),
        "oat": ModifierOptionFactory(group=shot, name="Oat milk", price_delta=D(7000)),
    }
    for order, group in enumerate((size, sugar, shot)):
        ProductModifierGroupFactory(product=product, group=group, sort_order=order)
    return product


def line(product, qty=1, *option_names, **extra):
    return {
        "product_id": product.pk,
        "qty": qty,
        "modifier_option_ids": [product.options[name].pk for name in option_names],
        **extra,
    }


def test_iced_latte_large_less_sugar_extra_shot(officer_client, latte, merchant):
    PromotionFactory(merchant=merchant, value=D(10), products=[latte])  # 10% off the base
    body = {"lines": [line(latte, 2, "large", "less", "shot")]}
    response = officer_client.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    order = response.json()
    [item] = order["items"]
    # Unit: 30000 + 5000 + 6000 = 41000; promotion 10% of the base 30000 only → 38000.
    assert (item["base_price"], item["final_price"]) == ("41000.00", "38000.00")
    assert item["line_subtotal_amount"] == "76000.00"
    assert item["discount_amount"] == "6000.00"
    assert (item["tax_amount"], item["service_charge_amount"]) == ("7600.00", "3800.00")
    assert [(m["group"], m["name"], m["price_delta"]) for m in item["modifiers"]] == [
        ("Size", "Large", "5000.00"),
        ("Sugar", "Less sugar", "0.00"),
        ("Extra shot", "Espresso", "6000.00"),
    ]
    assert order["subtotal_amount"] == "82000.00"
    assert order["total_amount"] == "87400.00"  # 82000 − 6000 + 7600 + 3800
    # The snapshot stays when the menu changes.
    latte.options["large"].price_delta = D(9000)
    latte.options["large"].save()
    assert OrderItem.objects.get().modifiers[0]["price_delta"] == "5000.00"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ((), "Size: choose 1; 0 chosen."),
        (("regular", "large"), "Size: choose 1; 2 chosen."),
        (("regular", "shot", "shot"), "chosen twice"),
        (("regular", "shot", "oat", "shot"), "chosen twice"),
    ],
)
def test_group_rules_are_400_naming_the_group(officer_client, latte, options, message):
    response = officer_client.post(URL, {"lines": [line(latte, 1, *options)]}, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert message in error["message"]
    assert error["message"].startswith("Line 1 (Iced Latte):")
    assert "modifier_option_ids" in error["details"]["lines"]["0"]
    assert not Order.objects.exists()


def test_too_many_add_ons_is_400(officer_client, latte, merchant):
    third = ModifierOptionFactory(group=latte.options["shot"].group, name="Syrup")
    body = {"lines": [line(latte, 1, "regular", "shot", "oat")]}
    body["lines"][0]["modifier_option_ids"].append(third.pk)
    response = officer_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert "Extra shot: choose up to 2; 3 chosen." in response.json()["error"]["message"]


def test_options_of_another_product_or_switched_off_are_400(officer_client, latte, merchant):
    croissant = ProductFactory(merchant=merchant, name="Croissant")
    response = officer_client.post(
        URL,
        {
            "lines": [
                {
                    "product_id": croissant.pk,
                    "qty": 1,
                    "modifier_option_ids": [latte.options["large"].pk],
                }
            ]
        },
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] == "Line 1 (Croissant): Size: Large is not offered with Croissant."
    assert "modifier_option_ids" in error["details"]["lines"]["0"]

    missing = {"product_id": croissant.pk, "qty": 1, "modifier_option_ids": [999999]}
    response = officer_client.post(URL, {"lines": [missing]}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Line 1 (Croissant): there is no option 999999."

    latte.options["less"].is_active = False
    latte.options["less"].save()
    response = officer_client.post(
        URL, {"lines": [line(latte, 1, "regular", "less")]}, format="json"
    )
    assert response.status_code == 400
    assert "Sugar: Less sugar is not available right now." in response.json()["error"]["message"]


def test_another_merchants_options_are_400_and_not_named(officer_client, latte, other_merchant):
    """Their option is as unknown here as one that never existed: its group and name stay
    theirs, and nothing is written."""
    theirs = ModifierGroupFactory(merchant=other_merchant, name="Their sizes")
    option = ModifierOptionFactory(group=theirs, name="Their large")
    body = {"lines": [line(latte, 1, "regular")]}
    body["lines"][0]["modifier_option_ids"].append(option.pk)
    response = officer_client.post(URL, body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["message"] == f"Line 1 (Iced Latte): there is no option {option.pk}."
    assert "Their" not in str(error)
    assert not Order.objects.exists()
    assert officer_client.post(QUOTE, body, format="json").status_code == 400


def test_quantity_is_accepted_for_qty(officer_client, latte):
    body = {"lines": [{**line(latte, 1, "regular"), "quantity": 3}]}
    del body["lines"][0]["qty"]
    response = officer_client.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["items"][0]["quantity"] == 3
    conflicting = {"lines": [{**line(latte, 1, "regular"), "quantity": 2}]}
    assert officer_client.post(URL, conflicting, format="json").status_code == 400


def test_es_kopi_susu_priced_including_tax(officer_client, merchant):
    """The worked example: 27500 including 10% tax → subtotal 25000, tax 2500, total 27500."""
    merchant.prices_include_tax = True
    merchant.save()
    kopi = ProductFactory(
        merchant=merchant, name="Es Kopi Susu", base_price=D(27500), tax_percent=D(10)
    )
    response = officer_client.post(
        URL, {"lines": [{"product_id": kopi.pk, "qty": 1}]}, format="json"
    )
    assert response.status_code == 201, response.content
    order = response.json()
    assert order["prices_include_tax"] is True
    assert (order["subtotal_amount"], order["tax_amount"], order["total_amount"]) == (
        "25000.00",
        "2500.00",
        "27500.00",
    )
    assert order["items"][0]["line_subtotal_amount"] == "25000.00"


def test_tax_inclusive_with_promotion_and_service(merchant):
    """2 × 27500 incl. 10% tax, 5000 off each, service 5%: list 55000 gross = 50000 net; after
    the promotion 45000 gross = 40909 net + 4091 tax; service 5% of 40909 = 2045."""
    from orders.pricing import order_price

    kopi = ProductFactory(
        merchant=merchant, base_price=D(27500), tax_percent=D(10), service_charge_percent=D(5)
    )
    PromotionFactory(merchant=merchant, discount_type="nominal", value=D(5000), products=[kopi])
    pricing = order_price(lines=[(kopi, 2, "")], currency="IDR", prices_include_tax=True)
    assert pricing.subtotal == D(50000)
    assert pricing.discount == D(50000 - 40909)
    assert pricing.tax == D(4091)
    assert pricing.service_charge == D(2045)
    assert pricing.total == D(45000 + 2045)
    assert (
        pricing.total == pricing.subtotal - pricing.discount + pricing.tax + pricing.service_charge
    )


def test_tax_inclusive_with_promotion_and_service_through_the_api(officer_client, merchant):
    """The second worked example of docs/orders.md, to the rupiah through POST /orders."""
    merchant.prices_include_tax = True
    merchant.save()
    kopi = ProductFactory(
        merchant=merchant,
        name="Es Kopi Susu",
        base_price=D(27500),
        tax_percent=D(10),
        service_charge_percent=D(5),
    )
    PromotionFactory(merchant=merchant, discount_type="nominal", value=D(5000), products=[kopi])
    response = officer_client.post(
        URL, {"lines": [{"product_id": kopi.pk, "qty": 2}]}, format="json"
    )
    assert response.status_code == 201, response.content
    order = response.json()
    money = ("subtotal_amount", "discount_amount", "tax_amount", "service_charge_amount")
    assert [order[name] for name in money] == ["50000.00", "9091.00", "4091.00", "2045.00"]
    assert (order["total_amount"], order["amount_due"]) == ("47045.00", "47045.00")
    [item] = order["items"]
    assert (item["final_price"], item["line_subtotal_amount"]) == ("22500.00", "40909.00")


def test_quote_equals_the_created_order_to_the_rupiah(officer_client, latte, merchant, kopi):
    PromotionFactory(merchant=merchant, value=D(15), products=[latte])
    body = {
        "lines": [
            line(latte, 3, "large", "shot", "oat"),
            line(latte, 1, "regular"),
            {
                "product_id": kopi.pk,
                "qty": 2,
                "notes": "hot",
            },
        ]
    }
    quoted = officer_client.post(QUOTE, body, format="json")
    assert quoted.status_code == 200, quoted.content
    assert not Order.objects.exists()
    created = officer_client.post(URL, body, format="json").json()
    quote = quoted.json()
    for name in OrderQuoteSerializer.Meta.fields:
        if name not in ("items", "change"):
            assert quote[name] == created[name], name
    assert quote["amount_due"] == created["total_amount"]
    drop = {"id"}
    assert [{k: v for k, v in i.items() if k not in drop} for i in quote["items"]] == [
        {k: v for k, v in i.items() if k not in drop} for i in created["items"]
    ]


def test_quote_is_a_couple_of_queries_however_long_the_cart(
    officer_client, latte, merchant, django_assert_max_num_queries
):
    products = [ProductFactory(merchant=merchant) for _ in range(20)]
    small = {"lines": [line(latte, 1, "large")]}
    big = {
        "lines": [line(latte, 1, "large", "shot")]
        + [{"product_id": p.pk, "qty": 2} for p in products]
    }
    officer_client.post(QUOTE, small, format="json")  # the caller's roles, once
    # The caller's merchant, products, their groups, the options chosen, promotions.
    with django_assert_max_num_queries(5):
        assert officer_client.post(QUOTE, small, format="json").status_code == 200
    with django_assert_max_num_queries(5):
        assert officer_client.post(QUOTE, big, format="json").status_code == 200


def test_quote_refuses_what_create_refuses(officer_client, croissant, customer_client, kopi):
    response = officer_client.post(
        QUOTE, {"lines": [{"product_id": croissant.pk, "qty": 6}]}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "Not enough stock for Croissant: 5 left, 6 asked."
    assert officer_client.post(QUOTE, {"lines": []}, format="json").status_code == 400
    # Customers price their own cart too.
    response = customer_client.post(
        QUOTE, {"lines": [{"product_id": kopi.pk, "qty": 1}]}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["total_amount"] == "18000.00"


def test_quote_of_another_merchants_product_is_400(owner_client, other_merchant):
    theirs = ProductFactory(merchant=other_merchant)
    response = owner_client.post(
        QUOTE, {"lines": [{"product_id": theirs.pk, "qty": 1}]}, format="json"
    )
    assert response.status_code == 400
    assert f"No such product: {theirs.pk}" in response.json()["error"]["message"]
