"""The public menu from the cache: every change it shows invalidates it, promotions on time."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from catalog import services
from catalog.models import Product, Promotion
from catalog.services import StockLine, stock_release, stock_reserve
from catalog.tests.factories import (
    ModifierGroupFactory,
    ModifierOptionFactory,
    ProductCategoryFactory,
    ProductFactory,
    ProductImageFactory,
    ProductModifierGroupFactory,
    PromotionFactory,
)
from merchants.actors import SYSTEM
from merchants.tests.factories import TableLocationFactory

pytestmark = pytest.mark.django_db


def url(kind, merchant):
    return reverse(f"api:public-{kind}-list", kwargs={"merchant_slug": merchant.slug})


def get(client, kind, merchant, **headers):
    return client.get(url(kind, merchant), **headers)


@pytest.fixture
def coffee(merchant):
    return ProductFactory(merchant=merchant, name="Kopi", base_price=20000)


def test_a_repeated_menu_is_served_from_the_cache_with_an_etag(
    api_client, merchant, coffee, django_assert_num_queries
):
    first = get(api_client, "product", merchant)
    assert first.status_code == 200
    etag = first["ETag"]
    assert etag.startswith('"')
    with django_assert_num_queries(0):
        again = get(api_client, "product", merchant)
    assert again.content == first.content
    assert again["ETag"] == etag
    assert again["Content-Type"] == "application/json"


def test_if_none_match_answers_304_without_a_body(api_client, merchant, coffee):
    etag = get(api_client, "product", merchant)["ETag"]
    unchanged = get(api_client, "product", merchant, HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged["ETag"] == etag
    assert get(api_client, "product", merchant, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_the_etag_changes_with_the_menu(api_client, merchant, coffee):
    etag = get(api_client, "product", merchant)["ETag"]
    coffee.base_price = 22000
    coffee.save()
    changed = get(api_client, "product", merchant, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed.json()["results"][0]["base_price"] == "22000.00"
    assert changed["ETag"] != etag


def test_query_strings_are_cached_apart(api_client, merchant, coffee):
    ProductFactory(merchant=merchant, name="Teh")
    assert get(api_client, "product", merchant).json()["count"] == 2
    only = api_client.get(url("product", merchant), {"search": "Teh"})
    assert [row["name"] for row in only.json()["results"]] == ["Teh"]


def test_another_merchant_is_cached_apart(api_client, merchant, other_merchant, coffee):
    ProductFactory(merchant=other_merchant, name="Theirs")
    assert [r["name"] for r in get(api_client, "product", merchant).json()["results"]] == ["Kopi"]
    theirs = get(api_client, "product", other_merchant).json()["results"]
    assert [row["name"] for row in theirs] == ["Theirs"]


def names(client, merchant, kind="product"):
    response = get(client, kind, merchant)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _switch_off_its_category(product):
    product.category = ProductCategoryFactory(merchant=product.merchant)
    product.save()
    product.category.is_active = False
    product.category.save()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda m, p: Product.objects.filter(pk=p.pk).delete(), id="product deleted"),
        pytest.param(
            lambda m, p: services.product_set_flags(
                products=Product.objects.filter(pk=p.pk), is_available=False
            ),
            id="bulk switched off",
        ),
        pytest.param(lambda m, p: _switch_off_its_category(p), id="category switched off"),
        pytest.param(lambda m, p: (setattr(m, "is_active", False), m.save()), id="merchant closed"),
    ],
)
def test_hiding_a_product_or_the_shop_takes_it_off_the_menu(api_client, merchant, coffee, change):
    assert names(api_client, merchant)
    change(merchant, coffee)
    response = get(api_client, "product", merchant)
    assert response.status_code == 404 or response.json()["results"] == []


def test_image_changes_reach_the_menu(api_client, merchant, coffee):
    assert names(api_client, merchant)[0]["thumbnail_url"] is None
    image = ProductImageFactory(product=coffee, kind="thumbnail")
    assert names(api_client, merchant)[0]["thumbnail_url"]
    image.delete()
    assert names(api_client, merchant)[0]["thumbnail_url"] is None


def test_modifier_changes_reach_the_menu(api_client, merchant, coffee):
    group = ModifierGroupFactory(merchant=merchant, name="Size")
    assert names(api_client, merchant)[0]["modifier_groups"] == []
    ProductModifierGroupFactory(product=coffee, group=group)
    assert names(api_client, merchant)[0]["modifier_groups"] == []  # no option yet
    option = ModifierOptionFactory(group=group, name="Large", price_delta=5000)
    [size] = names(api_client, merchant)[0]["modifier_groups"]
    assert [o["name"] for o in size["options"]] == ["Large"]
    option.name = "Besar"
    option.save()
    assert names(api_client, merchant)[0]["modifier_groups"][0]["options"][0]["name"] == "Besar"
    group.is_active = False
    group.save()
    assert names(api_client, merchant)[0]["modifier_groups"] == []


def test_promotion_and_its_products_reach_the_menu(api_client, merchant, coffee):
    assert names(api_client, merchant)[0]["promotion"] is None
    promotion = PromotionFactory(merchant=merchant, products=[])
    assert names(api_client, merchant)[0]["promotion"] is None
    promotion.products.add(coffee)  # m2m through PromotionItem
    assert names(api_client, merchant)[0]["promotion"]["id"] == promotion.pk
    assert [p["id"] for p in names(api_client, merchant, "promotion")] == [promotion.pk]
    promotion.products.remove(coffee)
    assert names(api_client, merchant)[0]["promotion"] is None


def test_tables_reach_the_menu(api_client, merchant):
    assert names(api_client, merchant, "table-location") == []
    table = TableLocationFactory(merchant=merchant, number="B1")
    assert [t["number"] for t in names(api_client, merchant, "table-location")] == ["B1"]
    table.is_active = False
    table.save()
    assert names(api_client, merchant, "table-location") == []


def test_selling_out_and_restocking_reach_the_menu(
    api_client, merchant, django_capture_on_commit_callbacks, django_assert_num_queries
):
    cake = ProductFactory(merchant=merchant, track_stock=True, stock=3)
    assert names(api_client, merchant)[0]["sold_out"] is False
    with django_capture_on_commit_callbacks(execute=True):
        stock_reserve(lines=[StockLine(cake.pk, 1)], actor=SYSTEM)
    with django_assert_num_queries(0):  # still 2 left: the menu's entry is kept
        assert names(api_client, merchant)[0]["sold_out"] is False
    with django_capture_on_commit_callbacks(execute=True):
        stock_reserve(lines=[StockLine(cake.pk, 2)], actor=SYSTEM)
    assert names(api_client, merchant)[0]["sold_out"] is True
    with django_capture_on_commit_callbacks(execute=True):
        stock_release(lines=[StockLine(cake.pk, 1)], actor=SYSTEM)
    assert names(api_client, merchant)[0]["sold_out"] is False


def test_a_promotion_starts_and_ends_on_time(api_client, merchant, coffee):
    now = timezone.now()
    with time_machine.travel(now, tick=False) as clock:
        promotion = PromotionFactory(
            merchant=merchant,
            products=[coffee],
            discount_type=Promotion.DiscountType.NOMINAL,
            value=5000,
            starts_at=now + timedelta(minutes=2),
            ends_at=now + timedelta(minutes=4),
        )
        assert names(api_client, merchant)[0]["final_price"] == "20000.00"
        clock.shift(timedelta(minutes=1, seconds=59))
        assert names(api_client, merchant)[0]["final_price"] == "20000.00"
        clock.shift(timedelta(seconds=1))
        [row] = names(api_client, merchant)
        assert row["final_price"] == "15000.00"
        assert row["promotion"]["id"] == promotion.pk
        assert [p["id"] for p in names(api_client, merchant, "promotion")] == [promotion.pk]
        clock.shift(timedelta(minutes=2))
        assert names(api_client, merchant)[0]["promotion"] is None
        assert names(api_client, merchant, "promotion") == []


def test_a_renamed_shop_is_not_served_under_its_old_slug(api_client, merchant, coffee):
    old = url("product", merchant)
    assert api_client.get(old).status_code == 200
    merchant.slug = "renamed"
    merchant.save()
    assert api_client.get(old).status_code == 404
    assert api_client.get(url("product", merchant)).status_code == 200


def test_the_browsable_api_is_not_cached(api_client, merchant, coffee):
    page = api_client.get(url("product", merchant), HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    assert "ETag" not in page
