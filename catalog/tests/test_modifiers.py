"""Modifier groups and options: the API, the product's groups in order, the public menu."""

from decimal import Decimal

import pytest

from catalog.models import ModifierGroup, ModifierOption, Product
from catalog.tests.factories import (
    ModifierGroupFactory,
    ModifierOptionFactory,
    ProductFactory,
    ProductModifierGroupFactory,
)

pytestmark = pytest.mark.django_db
GROUPS = "/api/v1/modifier-groups"
PRODUCTS = "/api/v1/products"


def size_body(**extra):
    return {
        "name": "Size",
        "min_select": 1,
        "max_select": 1,
        "options": [
            {"name": "Regular", "price_delta": "0"},
            {"name": "Large", "price_delta": "5000"},
        ],
        **extra,
    }


def test_owner_creates_a_group_with_its_options(owner_client, merchant):
    response = owner_client.post(GROUPS, size_body(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["min_select"] == 1
    assert [(o["name"], o["price_delta"]) for o in body["options"]] == [
        ("Regular", "0.00"),
        ("Large", "5000.00"),
    ]
    group = ModifierGroup.objects.get(pk=body["id"])
    assert group.merchant == merchant
    assert list(group.options.values_list("name", "sort_order")) == [("Regular", 0), ("Large", 1)]


def test_officers_read_owners_write(officer_client, merchant):
    ModifierGroupFactory(merchant=merchant)
    assert officer_client.get(GROUPS).status_code == 200
    assert officer_client.post(GROUPS, size_body(), format="json").status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"min_select": 2, "max_select": 1}, "max_select"),
        ({"max_select": 0}, "max_select"),
        ({"options": [{"name": "Large", "price_delta": "500.50"}]}, "price_delta"),
        ({"options": [{"name": "Cheaper", "price_delta": "-1000"}]}, "options"),
    ],
)
def test_bad_groups_are_400_naming_the_field(owner_client, change, field):
    response = owner_client.post(GROUPS, size_body(**change), format="json")
    assert response.status_code == 400, response.content
    assert field in response.content.decode()
    assert not ModifierGroup.objects.exists()


def test_options_are_replaced_as_a_whole(owner_client, merchant):
    group = ModifierGroupFactory(merchant=merchant, name="Sugar", max_select=1)
    keep = ModifierOptionFactory(group=group, name="Normal")
    ModifierOptionFactory(group=group, name="Extra sweet")
    response = owner_client.patch(
        f"{GROUPS}/{group.pk}",
        {"options": [{"name": "No sugar"}, {"id": keep.pk, "name": "Normal sugar"}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert [o["name"] for o in response.json()["options"]] == ["No sugar", "Normal sugar"]
    assert response.json()["options"][1]["id"] == keep.pk
    assert ModifierOption.objects.filter(group=group).count() == 2


def test_an_option_of_another_group_is_400(owner_client, merchant):
    group = ModifierGroupFactory(merchant=merchant)
    elsewhere = ModifierOptionFactory(group=ModifierGroupFactory(merchant=merchant))
    response = owner_client.patch(
        f"{GROUPS}/{group.pk}", {"options": [{"id": elsewhere.pk, "name": "x"}]}, format="json"
    )
    assert response.status_code == 400
    assert f"no option {elsewhere.pk}" in response.json()["error"]["message"]


def test_a_product_offers_groups_in_order(owner_client, merchant, other_merchant):
    size = ModifierGroupFactory(merchant=merchant, name="Size")
    sugar = ModifierGroupFactory(merchant=merchant, name="Sugar")
    product = ProductFactory(merchant=merchant)
    response = owner_client.patch(
        f"{PRODUCTS}/{product.pk}", {"modifier_group_ids": [sugar.pk, size.pk]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["modifier_group_ids"] == [sugar.pk, size.pk]
    listed = owner_client.get(PRODUCTS).json()["results"][0]
    assert listed["modifier_group_ids"] == [sugar.pk, size.pk]

    theirs = ModifierGroupFactory(merchant=other_merchant)
    response = owner_client.patch(
        f"{PRODUCTS}/{product.pk}", {"modifier_group_ids": [theirs.pk]}, format="json"
    )
    assert response.status_code == 400
    assert "modifier_group_ids" in response.json()["error"]["details"]
    assert product.modifier_links.count() == 2


def test_new_products_start_with_the_merchants_default_tax(owner_client, merchant):
    merchant.default_tax_percent = Decimal(11)
    merchant.default_service_charge_percent = Decimal(5)
    merchant.save()
    response = owner_client.post(PRODUCTS, {"name": "Teh", "base_price": "8000"}, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["tax_percent"], response.json()["service_charge_percent"]) == (
        "11.00",
        "5.00",
    )
    response = owner_client.post(
        PRODUCTS, {"name": "Air", "base_price": "5000", "tax_percent": "0"}, format="json"
    )
    assert response.json()["tax_percent"] == "0.00"
    assert Product.objects.get(name="Air").service_charge_percent == Decimal(5)


def test_the_public_menu_shows_active_groups_and_options(api_client, merchant):
    product = ProductFactory(merchant=merchant, name="Es Kopi Susu")
    size = ModifierGroupFactory(merchant=merchant, name="Size", min_select=1, max_select=1)
    ModifierOptionFactory(group=size, name="Regular")
    ModifierOptionFactory(group=size, name="Large", price_delta=Decimal(5000))
    ModifierOptionFactory(group=size, name="Jumbo", is_active=False)
    hidden = ModifierGroupFactory(merchant=merchant, name="Secret", is_active=False)
    ModifierOptionFactory(group=hidden)
    sugar = ModifierGroupFactory(merchant=merchant, name="Sugar", max_select=1)
    ModifierOptionFactory(group=sugar, name="Less")
    ProductModifierGroupFactory(product=product, group=sugar, sort_order=2)
    ProductModifierGroupFactory(product=product, group=size, sort_order=1)
    ProductModifierGroupFactory(product=product, group=hidden, sort_order=0)
    response = api_client.get(f"/api/v1/public/{merchant.slug}/products")
    [row] = response.json()["results"]
    assert row["modifier_groups"] == [
        {
            "id": size.pk,
            "name": "Size",
            "min_select": 1,
            "max_select": 1,
            "options": [
                {
                    "id": size.options.get(name="Regular").pk,
                    "name": "Regular",
                    "price_delta": "0.00",
                },
                {
                    "id": size.options.get(name="Large").pk,
                    "name": "Large",
                    "price_delta": "5000.00",
                },
            ],
        },
        {
            "id": sugar.pk,
            "name": "Sugar",
            "min_select": 0,
            "max_select": 1,
            "options": [
                {"id": sugar.options.get().pk, "name": "Less", "price_delta": "0.00"},
            ],
        },
    ]
