"""The public menu: no login, one merchant by slug, only what a customer may order."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.tests.factories import (
    ModifierGroupFactory,
    ModifierOptionFactory,
    ProductCategoryFactory,
    ProductFactory,
    ProductImageFactory,
    ProductModifierGroupFactory,
    PromotionFactory,
)
from merchants.tests.factories import TableLocationFactory

pytestmark = pytest.mark.django_db


def url(kind, merchant):
    return reverse(f"api:public-{kind}-list", kwargs={"merchant_slug": merchant.slug})


def rows(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture
def menu(merchant, other_merchant):
    """A menu with one visible thing of each kind and every way of being hidden."""
    now = timezone.now()
    food = ProductCategoryFactory(merchant=merchant, name="Food", sort_order=1)
    hidden_category = ProductCategoryFactory(merchant=merchant, name="Old", is_active=False)
    nasi = ProductFactory(merchant=merchant, name="Nasi Goreng", category=food, base_price=25000)
    ProductImageFactory(product=nasi, kind="thumbnail", file="merchants/1/products/1/t.png")
    ProductImageFactory(product=nasi, file="merchants/1/products/1/d.png")
    loose = ProductFactory(merchant=merchant, name="Air Mineral", category=None, base_price=5000)
    retired = ProductFactory(merchant=merchant, name="Retired", category=food, is_active=False)
    sold_out = ProductFactory(merchant=merchant, name="Sold out", category=food, is_available=False)
    in_hidden = ProductFactory(merchant=merchant, name="In hidden", category=hidden_category)
    theirs = ProductFactory(merchant=other_merchant, name="Theirs")
    ProductCategoryFactory(merchant=other_merchant, name="Their category")
    running = PromotionFactory(merchant=merchant, name="Running", products=[nasi, retired])
    PromotionFactory(merchant=merchant, name="Only hidden", products=[retired, sold_out, in_hidden])
    PromotionFactory(merchant=merchant, name="Switched off", products=[nasi], is_active=False)
    PromotionFactory(
        merchant=merchant,
        name="Next week",
        products=[nasi],
        starts_at=now + timedelta(days=7),
        ends_at=now + timedelta(days=8),
    )
    PromotionFactory(merchant=other_merchant, name="Their promotion", products=[theirs])
    TableLocationFactory(merchant=merchant, number="A1")
    TableLocationFactory(merchant=merchant, number="A2", is_active=False)
    TableLocationFactory(merchant=other_merchant, number="Z9")
    return {"nasi": nasi, "loose": loose, "running": running, "food": food}


def test_products_show_only_orderable_items_with_price_and_images(api_client, merchant, menu):
    products = rows(api_client.get(url("product", merchant)))
    assert [p["name"] for p in products] == ["Air Mineral", "Nasi Goreng"]
    nasi = products[1]
    assert nasi["base_price"] == "25000.00"
    assert nasi["final_price"] == "22500.00"
    assert nasi["promotion"]["name"] == "Running"
    assert nasi["category_name"] == "Food"
    assert nasi["thumbnail_url"] == "/media/merchants/1/products/1/t.png"
    assert nasi["image_urls"] == ["/media/merchants/1/products/1/d.png"]
    assert nasi["sold_out"] is False
    assert "stock" not in nasi
    assert "sku" not in nasi
    assert products[0]["promotion"] is None
    assert products[0]["thumbnail_url"] is None


def test_products_filter_by_category_and_search(api_client, merchant, menu):
    assert [
        p["name"]
        for p in rows(api_client.get(url("product", merchant), {"category": menu["food"].pk}))
    ] == ["Nasi Goreng"]
    assert [
        p["name"] for p in rows(api_client.get(url("product", merchant), {"search": "air"}))
    ] == ["Air Mineral"]


def test_categories_promotions_and_tables(api_client, merchant, menu):
    assert [c["name"] for c in rows(api_client.get(url("product-category", merchant)))] == ["Food"]
    promotions = rows(api_client.get(url("promotion", merchant)))
    assert [p["name"] for p in promotions] == ["Running"]
    assert promotions[0]["product_ids"] == [menu["nasi"].pk]  # the retired product is not shown
    assert [t["number"] for t in rows(api_client.get(url("table-location", merchant)))] == ["A1"]


def test_sold_out_when_tracked_stock_is_gone(api_client, merchant):
    ProductFactory(merchant=merchant, name="Croissant", track_stock=True, stock=0)
    [row] = rows(api_client.get(url("product", merchant)))
    assert row["sold_out"] is True


@pytest.mark.parametrize("kind", ["product", "product-category", "promotion", "table-location"])
def test_unknown_or_inactive_merchant_is_404(api_client, merchant, kind):
    missing = reverse(f"api:public-{kind}-list", kwargs={"merchant_slug": "nope"})
    response = api_client.get(missing)
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "There is no shop 'nope'."
    merchant.is_active = False
    merchant.save()
    assert api_client.get(url(kind, merchant)).status_code == 404


@pytest.mark.parametrize("kind", ["product", "product-category", "promotion", "table-location"])
def test_no_login_needed_and_staff_credentials_change_nothing(
    api_client, owner_client, merchant, kind
):
    assert api_client.get(url(kind, merchant)).status_code == 200
    assert api_client.get(url(kind, merchant) + "/").status_code == 200
    assert api_client.post(url(kind, merchant), {}).status_code == 405


def test_anonymous_throttle(api_client, merchant, settings):
    from rest_framework.settings import api_settings

    from catalog.api.views import PublicMenuThrottle

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "public_menu": "2/min"}
    previous = PublicMenuThrottle.THROTTLE_RATES
    PublicMenuThrottle.THROTTLE_RATES = rates
    try:
        assert api_client.get(url("product", merchant)).status_code == 200
        assert api_client.get(url("product", merchant)).status_code == 200
        assert api_client.get(url("product", merchant)).status_code == 429
    finally:
        PublicMenuThrottle.THROTTLE_RATES = previous


@pytest.mark.parametrize(
    ("kind", "grow", "queries"),
    [
        # merchant, count, products, images, modifier groups with options, promotions; and
        # on every kind, the next promotion boundary (how long the answer may be cached)
        ("product", lambda m: _product_with_everything(m), 7),
        ("product-category", lambda m: ProductCategoryFactory(merchant=m), 4),
        # merchant, count, promotions, their visible products
        (
            "promotion",
            lambda m: PromotionFactory(merchant=m, products=[ProductFactory(merchant=m)]),
            5,
        ),
        ("table-location", lambda m: TableLocationFactory(merchant=m), 4),
    ],
)
def test_query_count_does_not_grow_with_rows(
    api_client, merchant, kind, grow, queries, django_assert_num_queries
):
    for _ in range(2):
        grow(merchant)
    with django_assert_num_queries(queries):
        assert len(rows(api_client.get(url(kind, merchant)))) == 2
    for _ in range(10):
        grow(merchant)
    with django_assert_num_queries(queries):
        assert len(rows(api_client.get(url(kind, merchant)))) == 12
    with django_assert_num_queries(0):  # from the cache now
        assert len(rows(api_client.get(url(kind, merchant)))) == 12


def _product_with_everything(merchant):
    product = ProductFactory(merchant=merchant)
    ProductImageFactory(product=product, kind="thumbnail")
    ProductImageFactory(product=product)
    PromotionFactory(merchant=merchant, products=[product])
    size = ModifierGroupFactory(merchant=merchant, min_select=1, max_select=1)
    ModifierOptionFactory(group=size, name="Regular")
    ModifierOptionFactory(group=size, name="Large", price_delta=5000)
    ProductModifierGroupFactory(product=product, group=size)
    return product
