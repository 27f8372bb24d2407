"""The product lists' rows built without DRF's per-field work are the bytes DRF would give."""

from decimal import Decimal

import pytest
from rest_framework.renderers import JSONRenderer

from catalog import selectors
from catalog.api import serializers as api_serializers
from catalog.api.serializers import ProductSerializer, PublicProductSerializer
from catalog.models import Product
from catalog.tests.factories import (
    ModifierGroupFactory,
    ModifierOptionFactory,
    ProductCategoryFactory,
    ProductFactory,
    ProductImageFactory,
    ProductModifierGroupFactory,
    PromotionFactory,
)
from merchants.api.rows import fast_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def products(merchant):
    food = ProductCategoryFactory(merchant=merchant, name="Food")
    rich = ProductFactory(
        merchant=merchant,
        category=food,
        sku="NG-1",
        barcode="899",
        base_price=Decimal("25000.50"),
        tax_percent=Decimal("11"),
        track_stock=True,
        stock=2,
        low_stock_threshold=5,
        description="Spicy & <hot>",
    )
    ProductImageFactory(product=rich, kind="thumbnail")
    ProductImageFactory(product=rich)
    PromotionFactory(merchant=merchant, products=[rich])
    size = ModifierGroupFactory(merchant=merchant)
    ModifierOptionFactory(group=size)
    ProductModifierGroupFactory(product=rich, group=size)
    ProductFactory(merchant=merchant, category=None, sku=None, barcode=None, name="Air")
    return merchant


def drf_only(patch):
    """Rows through DRF's own `to_representation()`, field by field."""
    patch.setattr(
        api_serializers,
        "fast_rows",
        lambda child, items: [child.to_representation(item) for item in items],
    )


def both(serializer_class, queryset, merchant, monkeypatch):
    """(fast rows, DRF's own rows) as JSON bytes, each list prepared the same way."""
    fast = serializer_class(list(queryset), many=True, context={"merchant": merchant}).data
    with monkeypatch.context() as patch:
        drf_only(patch)
        slow = serializer_class(list(queryset), many=True, context={"merchant": merchant}).data
    return JSONRenderer().render(fast), JSONRenderer().render(slow)


def test_staff_rows_match_drf(products, monkeypatch):
    queryset = selectors.with_category_name(
        Product.objects.filter(merchant=products).prefetch_related(
            selectors.product_images_prefetch(), selectors.product_modifier_links_prefetch()
        )
    ).order_by("name")
    fast, slow = both(ProductSerializer, queryset, products, monkeypatch)
    assert fast == slow
    assert b'"base_price":"25000.50"' in fast


def test_public_rows_match_drf(products, monkeypatch):
    fast, slow = both(
        PublicProductSerializer,
        selectors.public_product_list(merchant=products),
        products,
        monkeypatch,
    )
    assert fast == slow


def test_staff_rows_from_columns_match_drf_on_models(products, monkeypatch):
    """The list's rows from selected columns (images and modifier links read by id) give the
    bytes DRF gives for model instances through the prefetch."""
    ordered = Product.objects.filter(merchant=products).order_by("name")
    rows = selectors.product_rows(list(selectors.product_row_values(ordered)))
    fast = ProductSerializer(rows, many=True, context={"merchant": products}).data
    models = selectors.with_category_name(
        ordered.prefetch_related(
            selectors.product_images_prefetch(), selectors.product_modifier_links_prefetch()
        )
    )
    with monkeypatch.context() as patch:
        drf_only(patch)
        slow = ProductSerializer(list(models), many=True, context={"merchant": products}).data
    fast, slow = JSONRenderer().render(fast), JSONRenderer().render(slow)
    assert fast == slow
    assert b'"modifier_group_ids":[' in fast
    assert b'"thumbnail_url":"' in fast
    assert b'"is_low_on_stock":true' in fast


def test_staff_list_answer_matches_drf_on_models(products, officer_client, monkeypatch):
    """The whole list answer (paged, filtered) equals DRF's rendering of the model instances."""
    answer = officer_client.get("/api/v1/products?ordering=name&limit=10").content
    with monkeypatch.context() as patch:
        # The view's queryset, as it was: model instances with their prefetches.
        patch.setattr(selectors, "product_row_values", lambda queryset: queryset)
        patch.setattr(selectors, "product_rows", list)
        drf_only(patch)
        slow = officer_client.get("/api/v1/products?ordering=name&limit=10").content
    assert answer == slow
    assert b'"count":2' in answer


def test_method_fields_are_called_on_the_serializer_at_hand(products):
    seen = []

    class Watching(ProductSerializer):
        def get_final_price(self, product):
            seen.append(self)
            return super().get_final_price(product)

    for _ in range(2):  # the second from the plan worked out for the class
        serializer = Watching(context={"merchant": products})
        fast_rows(serializer, Product.objects.filter(merchant=products))
        assert len(seen) == 2
        assert all(caller is serializer for caller in seen)
        seen.clear()
