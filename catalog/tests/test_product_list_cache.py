"""The staff product list from the cache: every catalog change and every stock movement
invalidates it, the caller is still checked on every request, and merchants never share it."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from catalog.models import Product, Promotion
from catalog.stock import stock_count_many
from catalog.tests.factories import ProductFactory, ProductImageFactory, PromotionFactory
from merchants.actors import SYSTEM
from merchants.tests.factories import MembershipFactory, UserFactory
from orders.services import LineInput, order_cancel, order_create

pytestmark = pytest.mark.django_db

PRODUCTS = reverse("api:product-list")


@pytest.fixture
def cake(merchant):
    return ProductFactory(
        merchant=merchant,
        name="Cake",
        base_price=30000,
        track_stock=True,
        stock=9,
        low_stock_threshold=2,
    )


def rows(client, **params):
    response = client.get(PRODUCTS, params)
    assert response.status_code == 200, response.content
    return {row["name"]: row for row in response.json()["results"]}


def test_a_repeated_list_is_served_from_the_cache_with_a_private_etag(
    officer_client, cake, django_assert_max_num_queries
):
    first = officer_client.get(PRODUCTS)
    assert first.status_code == 200
    assert first["Cache-Control"] == "private, no-cache"  # never kept by a shared cache
    with django_assert_max_num_queries(1):  # at most the caller's role: no product query
        again = officer_client.get(PRODUCTS)
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Content-Type"] == "application/json"
    unchanged = officer_client.get(PRODUCTS, HTTP_IF_NONE_MATCH=first["ETag"])
    assert (unchanged.status_code, unchanged.content) == (304, b"")


def test_the_cached_answer_is_the_built_one(officer_client, cake, settings):
    cached = [officer_client.get(PRODUCTS).content for _ in range(2)]
    settings.PRODUCT_LIST_CACHE_SECONDS = 0
    built = officer_client.get(PRODUCTS)
    assert "ETag" not in built
    assert cached == [built.content, built.content]


def test_sales_cancels_and_stock_takes_reach_the_list(
    officer_client, merchant, cake, django_capture_on_commit_callbacks
):
    assert rows(officer_client)["Cake"]["stock"] == 9
    with django_capture_on_commit_callbacks(execute=True):
        order = order_create(
            merchant=merchant, lines=[LineInput(product_id=cake.pk, quantity=2)], actor=SYSTEM
        )
    assert rows(officer_client)["Cake"]["stock"] == 7
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order, actor=SYSTEM, reason="Customer left")
    assert rows(officer_client)["Cake"]["stock"] == 9
    with django_capture_on_commit_callbacks(execute=True):
        stock_count_many(merchant_id=merchant.pk, counted={cake.pk: 4}, actor=SYSTEM)
    assert rows(officer_client)["Cake"]["stock"] == 4


def test_a_stock_adjustment_through_the_api_reaches_the_list(
    owner_client, cake, django_capture_on_commit_callbacks
):
    assert rows(owner_client, low_stock="true") == {}
    adjust = reverse("api:product-detail", args=[cake.pk]).rstrip("/") + "/stock-adjustments"
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            adjust, {"delta": -8, "kind": "adjustment", "reason": "Dropped"}, format="json"
        )
    assert response.status_code == 201, response.content
    assert rows(owner_client)["Cake"]["stock"] == 1
    assert rows(owner_client, low_stock="true")["Cake"]["stock"] == 1


def test_a_sale_keeps_the_public_menus_entry(
    api_client, officer_client, merchant, cake, django_capture_on_commit_callbacks
):
    menu = reverse("api:public-product-list", kwargs={"merchant_slug": merchant.slug})
    etag = api_client.get(menu)["ETag"]
    rows(officer_client)
    with django_capture_on_commit_callbacks(execute=True):
        order_create(
            merchant=merchant, lines=[LineInput(product_id=cake.pk, quantity=1)], actor=SYSTEM
        )
    assert api_client.get(menu, HTTP_IF_NONE_MATCH=etag).status_code == 304  # menu shows no stock
    assert rows(officer_client)["Cake"]["stock"] == 8


def test_catalog_changes_reach_the_list(officer_client, merchant, cake):
    assert rows(officer_client)["Cake"]["thumbnail_url"] is None
    Product.objects.filter(pk=cake.pk).first().save()  # nothing changed: still correct
    cake.base_price = 32000
    cake.save()
    assert rows(officer_client)["Cake"]["base_price"] == "32000.00"
    ProductImageFactory(product=cake, kind="thumbnail")
    assert rows(officer_client)["Cake"]["thumbnail_url"]
    promotion = PromotionFactory(merchant=merchant, products=[cake])
    assert rows(officer_client)["Cake"]["promotion"]["id"] == promotion.pk
    ProductFactory(merchant=merchant, name="Tea")
    assert set(rows(officer_client)) == {"Cake", "Tea"}
    Product.objects.filter(name="Tea").delete()
    assert set(rows(officer_client)) == {"Cake"}


def test_a_promotion_starts_and_ends_on_time(officer_client, merchant, cake):
    now = timezone.now()
    with time_machine.travel(now, tick=False) as clock:
        PromotionFactory(
            merchant=merchant,
            products=[cake],
            discount_type=Promotion.DiscountType.NOMINAL,
            value=5000,
            starts_at=now + timedelta(minutes=2),
            ends_at=now + timedelta(minutes=4),
        )
        assert rows(officer_client)["Cake"]["final_price"] == "30000.00"
        clock.shift(timedelta(minutes=2))
        assert rows(officer_client)["Cake"]["final_price"] == "25000.00"
        clock.shift(timedelta(minutes=2))
        assert rows(officer_client)["Cake"]["final_price"] == "30000.00"


def test_merchants_never_share_an_answer(
    client_for, merchant, other_merchant, owner, cake, other_owner
):
    ProductFactory(merchant=other_merchant, name="Theirs")
    assert set(rows(client_for(owner))) == {"Cake"}
    assert set(rows(client_for(other_owner))) == {"Theirs"}
    both = UserFactory()
    MembershipFactory(user=both, merchant=merchant)
    MembershipFactory(user=both, merchant=other_merchant)
    assert set(rows(client_for(both, merchant))) == {"Cake"}
    assert set(rows(client_for(both, other_merchant))) == {"Theirs"}


def test_the_caller_is_checked_on_every_cached_request(
    api_client, client_for, officer_client, merchant, cake
):
    assert officer_client.get(PRODUCTS).status_code == 200
    assert api_client.get(PRODUCTS).status_code == 401
    stranger = UserFactory()
    assert client_for(stranger, merchant).get(PRODUCTS).status_code in (403, 404)


def test_the_browsable_api_is_not_cached(officer_client, cake):
    page = officer_client.get(PRODUCTS, HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    assert "ETag" not in page
