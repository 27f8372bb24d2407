from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from catalog.models import Product, Promotion, PromotionItem
from catalog.tests.factories import (
    ProductCategoryFactory,
    ProductFactory,
    ProductImageFactory,
    PromotionFactory,
)

pytestmark = pytest.mark.django_db

PRODUCTS = reverse("api:product-list")
CATEGORIES = reverse("api:product-category-list")
PROMOTIONS = reverse("api:promotion-list")
LOOKUP = reverse("api:product-lookup")


def detail(name, pk):
    return reverse(f"api:{name}-detail", args=[pk])


def names(response):
    return [row["name"] for row in response.json()["results"]]


class TestProductWrites:
    def test_create_with_defaults(self, owner_client, merchant):
        category = ProductCategoryFactory(merchant=merchant, name="Food")
        response = owner_client.post(
            PRODUCTS,
            {"name": " Nasi Goreng ", "base_price": "25000", "category": category.pk, "sku": ""},
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["name"] == "Nasi Goreng"
        assert body["base_price"] == "25000.00"
        assert body["final_price"] == "25000.00"
        assert body["promotion"] is None
        assert body["category_name"] == "Food"
        assert body["sku"] is None
        assert body["track_stock"] is False
        assert body["thumbnail_url"] is None
        product = Product.objects.get(pk=body["id"])
        assert product.merchant == merchant
        assert product.sku is None

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"base_price": "25000.50"}, "base_price"),
            ({"base_price": "-1"}, "base_price"),
            ({"tax_percent": "100.01"}, "tax_percent"),
            ({"service_charge_percent": "-5"}, "service_charge_percent"),
            ({"stock": -1}, "stock"),
            ({"product_type": "food"}, "product_type"),
            ({"name": ""}, "name"),
        ],
    )
    def test_invalid_values_are_400_naming_the_field(self, owner_client, payload, field):
        body = {"name": "Kopi", "base_price": "20000", **payload}
        response = owner_client.post(PRODUCTS, body)
        assert response.status_code == 400, response.content
        error = response.json()["error"]
        assert error["code"] == "invalid"
        assert field in error["details"]
        assert error["message"].startswith(field)
        assert not Product.objects.exists()

    def test_whole_amounts_only_for_idr(self, owner_client, merchant):
        merchant.currency = "USD"
        merchant.save()
        response = owner_client.post(PRODUCTS, {"name": "Latte", "base_price": "4.50"})
        assert response.status_code == 201, response.content

    def test_sku_and_barcode_unique_per_merchant(self, owner_client, merchant, other_merchant):
        ProductFactory(merchant=merchant, sku="KOPI-1", barcode="899100")
        ProductFactory(merchant=other_merchant, sku="KOPI-2", barcode="899200")
        response = owner_client.post(
            PRODUCTS, {"name": "Kopi", "base_price": "1000", "sku": "KOPI-1"}
        )
        assert response.status_code == 400
        assert "SKU" in response.json()["error"]["message"]
        response = owner_client.post(
            PRODUCTS, {"name": "Kopi", "base_price": "1000", "barcode": "899100"}
        )
        assert response.status_code == 400
        assert "barcode" in response.json()["error"]["message"]
        # Another merchant's codes do not clash; blank codes never clash.
        for body in (
            {"sku": "KOPI-2", "barcode": "899200"},
            {"sku": "", "barcode": ""},
            {"sku": None, "barcode": None},
        ):
            response = owner_client.post(PRODUCTS, {"name": "Kopi", "base_price": "1", **body})
            assert response.status_code == 201, response.content

    def test_update_keeps_its_own_sku(self, owner_client, merchant):
        product = ProductFactory(merchant=merchant, sku="A")
        response = owner_client.patch(detail("product", product.pk), {"sku": "A", "stock": 4})
        assert response.status_code == 200, response.content
        assert response.json()["stock"] == 4

    def test_stock_never_negative_in_the_database(self, merchant):
        product = ProductFactory(merchant=merchant, stock=1)
        with pytest.raises(IntegrityError), transaction.atomic():
            Product.objects.filter(pk=product.pk).update(stock=-1)

    def test_officer_cannot_write(self, officer_client, merchant):
        product = ProductFactory(merchant=merchant)
        assert officer_client.post(PRODUCTS, {"name": "x", "base_price": "1"}).status_code == 403
        assert officer_client.delete(detail("product", product.pk)).status_code == 403


class TestProductReads:
    def test_filters_search_and_ordering(self, officer_client, merchant):
        food = ProductCategoryFactory(merchant=merchant, name="Food")
        drinks = ProductCategoryFactory(merchant=merchant, name="Drinks")
        ProductFactory(merchant=merchant, name="Nasi Goreng", category=food, base_price=25000)
        ProductFactory(
            merchant=merchant,
            name="Es Teh",
            category=drinks,
            base_price=8000,
            barcode="899777",
            is_available=False,
        )
        ProductFactory(
            merchant=merchant,
            name="Kopi",
            category=drinks,
            base_price=15000,
            sku="KP-01",
            description="arabica",
            is_active=False,
        )

        def get(**params):
            response = officer_client.get(PRODUCTS, params)
            assert response.status_code == 200, response.content
            return names(response)

        assert get(ordering="base_price") == ["Es Teh", "Kopi", "Nasi Goreng"]
        assert get(ordering="-name") == ["Nasi Goreng", "Kopi", "Es Teh"]
        assert get(category=food.pk) == ["Nasi Goreng"]
        assert get(search="899777") == ["Es Teh"]
        assert get(search="kp-01") == ["Kopi"]
        assert get(search="arabica") == ["Kopi"]
        assert get(is_available="false") == ["Es Teh"]
        assert get(is_active="false") == ["Kopi"]
        assert get(min_price=10000, max_price=20000) == ["Kopi"]

    def test_low_stock_filter(self, officer_client, merchant):
        ProductFactory(
            merchant=merchant, name="Low", track_stock=True, stock=2, low_stock_threshold=3
        )
        ProductFactory(
            merchant=merchant, name="Fine", track_stock=True, stock=9, low_stock_threshold=3
        )
        ProductFactory(merchant=merchant, name="Untracked", stock=0, low_stock_threshold=3)
        response = officer_client.get(PRODUCTS, {"low_stock": "true", "ordering": "name"})
        assert names(response) == ["Low"]
        assert response.json()["results"][0]["is_low_on_stock"] is True
        response = officer_client.get(PRODUCTS, {"low_stock": "false", "ordering": "name"})
        assert names(response) == ["Fine", "Untracked"]

    def test_list_shows_promotional_price(self, officer_client, merchant):
        product = ProductFactory(merchant=merchant, base_price=25000)
        promotion = PromotionFactory(merchant=merchant, products=[product], value=10)
        [row] = officer_client.get(PRODUCTS).json()["results"]
        assert row["base_price"] == "25000.00"
        assert row["final_price"] == "22500.00"
        assert row["promotion"]["id"] == promotion.pk
        detail_row = officer_client.get(detail("product", product.pk)).json()
        assert detail_row["final_price"] == "22500.00"

    def test_one_promotion_over_many_products_shows_on_each(self, officer_client, merchant):
        products = ProductFactory.create_batch(3, merchant=merchant, base_price=20000)
        promotion = PromotionFactory(merchant=merchant, products=products[:2], value=10)
        rows = officer_client.get(PRODUCTS, {"ordering": "created_at"}).json()["results"]
        brief = {
            "id": promotion.pk,
            "name": promotion.name,
            "discount_type": "percent",
            "value": "10.00",
            "ends_at": rows[0]["promotion"]["ends_at"],
        }
        assert [row["promotion"] for row in rows] == [brief, brief, None]
        assert [row["final_price"] for row in rows] == ["18000.00", "18000.00", "20000.00"]

    def test_images_are_in_the_same_order_whether_listed_or_just_written(
        self, owner_client, merchant
    ):
        product = ProductFactory(merchant=merchant)
        second = ProductImageFactory(product=product, sort_order=2)
        thumbnail = ProductImageFactory(product=product, kind="thumbnail")
        first = ProductImageFactory(product=product, sort_order=1)
        [listed] = owner_client.get(PRODUCTS).json()["results"]
        written = owner_client.patch(detail("product", product.pk), {"name": "Renamed"}).json()
        for row in (listed, written):
            assert [image["id"] for image in row["images"]] == [first.pk, second.pk, thumbnail.pk]
            assert row["thumbnail_url"] == row["images"][2]["url"]

    def test_list_query_count_does_not_grow_with_rows(
        self, officer_client, merchant, django_assert_num_queries, settings
    ):
        settings.PRODUCT_LIST_CACHE_SECONDS = 0  # the answer built every time

        def add(count):
            for _ in range(count):
                product = ProductFactory(merchant=merchant)
                ProductImageFactory(product=product, kind="thumbnail")
                ProductImageFactory(product=product)
                PromotionFactory(merchant=merchant, products=[product])

        add(2)
        officer_client.get(PRODUCTS)  # the first request also loads the caller's roles
        # Role, count, products, images, modifier groups, promotions.
        with django_assert_num_queries(6) as few:
            assert len(officer_client.get(PRODUCTS).json()["results"]) == 2
        add(8)
        with django_assert_num_queries(len(few.captured_queries)):
            assert len(officer_client.get(PRODUCTS).json()["results"]) == 10


class TestBarcodeLookup:
    def test_found(self, officer_client, merchant):
        product = ProductFactory(merchant=merchant, barcode="8991234500017", base_price=20000)
        PromotionFactory(
            merchant=merchant,
            products=[product],
            discount_type=Promotion.DiscountType.NOMINAL,
            value=5000,
        )
        response = officer_client.get(LOOKUP, {"barcode": " 8991234500017 "})
        assert response.status_code == 200
        assert response.json()["id"] == product.pk
        assert response.json()["final_price"] == "15000.00"
        assert officer_client.get(LOOKUP + "/", {"barcode": "8991234500017"}).status_code == 200

    def test_product_comes_from_one_indexed_query(
        self, officer_client, merchant, django_assert_num_queries
    ):
        ProductFactory(merchant=merchant, barcode="111")
        # The caller's role and merchant, the product, its promotions, its images (read once
        # for the thumbnail and the image list), its modifier groups.
        with django_assert_num_queries(5) as captured:
            officer_client.get(LOOKUP, {"barcode": "111"})
        product_queries = [
            q["sql"] for q in captured.captured_queries if 'FROM "catalog_product"' in q["sql"]
        ]
        assert len(product_queries) == 1
        assert '"catalog_product"."barcode" = ' in product_queries[0]
        assert '"catalog_product"."merchant_id" = ' in product_queries[0]

    def test_unknown_or_foreign_barcode_is_404(self, officer_client, other_merchant):
        ProductFactory(merchant=other_merchant, barcode="222")
        response = officer_client.get(LOOKUP, {"barcode": "222"})
        assert response.status_code == 404
        assert response.json()["error"]["message"].startswith("No product with barcode 222")
        response = officer_client.get(LOOKUP)
        assert response.status_code == 404
        assert "barcode" in response.json()["error"]["message"]

    @pytest.mark.parametrize("garbage", ["\x00", "12\x003", "89\t91", "9" * 65])
    def test_what_no_scanner_sends_is_400(self, officer_client, garbage):
        response = officer_client.get(LOOKUP, {"barcode": garbage})
        assert response.status_code == 400
        assert response.json()["error"]["details"] == {"barcode": ["not a barcode"]}


class TestCategories:
    def test_name_unique_per_merchant_ignoring_case(self, owner_client, merchant, other_merchant):
        ProductCategoryFactory(merchant=merchant, name="Coffee")
        ProductCategoryFactory(merchant=other_merchant, name="Tea")
        response = owner_client.post(CATEGORIES, {"name": "coffee"})
        assert response.status_code == 400
        assert "already exists" in response.json()["error"]["message"]
        assert owner_client.post(CATEGORIES, {"name": "Tea"}).status_code == 201

    def test_list_counts_products_in_constant_queries(
        self, officer_client, merchant, django_assert_max_num_queries
    ):
        for _ in range(5):
            ProductFactory.create_batch(2, category=ProductCategoryFactory(merchant=merchant))
        with django_assert_max_num_queries(5):
            response = officer_client.get(CATEGORIES)
        assert {row["product_count"] for row in response.json()["results"]} == {2}

    def test_deleting_a_category_keeps_its_products(self, owner_client, merchant):
        product = ProductFactory(merchant=merchant)
        assert (
            owner_client.delete(detail("product-category", product.category_id)).status_code == 204
        )
        product.refresh_from_db()
        assert product.category is None


class TestPromotions:
    def payload(self, merchant, **extra):
        now = timezone.now()
        return {
            "name": "Lunch",
            "discount_type": "nominal",
            "value": "5000",
            "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(),
            **extra,
        }

    def test_create_and_replace_products(self, owner_client, merchant):
        first, second, third = ProductFactory.create_batch(3, merchant=merchant)
        response = owner_client.post(
            PROMOTIONS, self.payload(merchant, product_ids=[first.pk, second.pk])
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert sorted(body["product_ids"]) == [first.pk, second.pk]
        assert body["is_running"] is True
        response = owner_client.patch(
            detail("promotion", body["id"]), {"product_ids": [second.pk, third.pk]}
        )
        assert response.status_code == 200, response.content
        assert sorted(response.json()["product_ids"]) == [second.pk, third.pk]
        assert PromotionItem.objects.filter(promotion_id=body["id"]).count() == 2
        # A PATCH without product_ids leaves them alone.
        response = owner_client.patch(detail("promotion", body["id"]), {"name": "Lunch deal"})
        assert sorted(response.json()["product_ids"]) == [second.pk, third.pk]

    @pytest.mark.parametrize(
        ("extra", "field"),
        [
            ({"discount_type": "percent", "value": "120"}, "value"),
            ({"value": "-1"}, "value"),
            ({"discount_type": "bogus"}, "discount_type"),
        ],
    )
    def test_invalid_promotions(self, owner_client, merchant, extra, field):
        response = owner_client.post(PROMOTIONS, self.payload(merchant, **extra))
        assert response.status_code == 400
        assert field in response.json()["error"]["details"]
        assert not Promotion.objects.exists()

    def test_must_end_after_start(self, owner_client, merchant):
        now = timezone.now()
        body = self.payload(merchant, starts_at=now.isoformat(), ends_at=now.isoformat())
        response = owner_client.post(PROMOTIONS, body)
        assert response.status_code == 400
        assert "end after it starts" in response.json()["error"]["message"]

    def test_running_filter_and_constant_queries(
        self, officer_client, merchant, django_assert_num_queries
    ):
        now = timezone.now()
        products = ProductFactory.create_batch(3, merchant=merchant)
        PromotionFactory(merchant=merchant, name="Now", products=products)
        PromotionFactory(
            merchant=merchant,
            name="Later",
            starts_at=now + timedelta(days=1),
            ends_at=now + timedelta(days=2),
            products=products[:1],
        )
        response = officer_client.get(PROMOTIONS, {"running": "true"})
        assert names(response) == ["Now"]
        assert len(response.json()["results"][0]["product_ids"]) == 3
        assert names(officer_client.get(PROMOTIONS, {"running": "false"})) == ["Later"]
        with django_assert_num_queries(4) as few:
            officer_client.get(PROMOTIONS)
        PromotionFactory.create_batch(5, merchant=merchant, products=products)
        with django_assert_num_queries(len(few.captured_queries)):
            assert len(officer_client.get(PROMOTIONS).json()["results"]) == 7

    def test_products_of_another_merchant_are_refused(self, owner_client, merchant, other_merchant):
        theirs = ProductFactory(merchant=other_merchant)
        response = owner_client.post(PROMOTIONS, self.payload(merchant, product_ids=[theirs.pk]))
        assert response.status_code == 400
        assert "product_ids" in response.json()["error"]["details"]


def test_demo_seed_is_idempotent_and_prices_nasi_goreng():
    import io

    from django.core.management import call_command

    from catalog.pricing import product_final_price

    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    nasi = Product.objects.get(merchant__slug="kopi-kita", name="Nasi Goreng")
    assert nasi.base_price == Decimal(25000)
    assert nasi.tax_percent == Decimal(10)
    assert nasi.service_charge_percent == Decimal(5)
    assert product_final_price(product=nasi).final == Decimal(22500)
    assert Product.objects.filter(merchant__slug="kopi-kita").count() == 12
    assert Product.objects.filter(merchant__slug="kopi-kita", track_stock=True).count() >= 3
    assert Promotion.objects.filter(merchant__slug="kopi-kita").count() == 1
