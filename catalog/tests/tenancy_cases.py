from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from catalog.tests.factories import (
    ModifierGroupFactory,
    ProductCategoryFactory,
    ProductFactory,
    PromotionFactory,
)
from merchants.tests.tenancy import EndpointCase, ReportCase


def _promotion_payload(merchant):
    now = timezone.now()
    return {
        "name": "Happy hour",
        "discount_type": "percent",
        "value": "20",
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(hours=2)).isoformat(),
        "product_ids": [ProductFactory(merchant=merchant).pk],
    }


CASES = [
    EndpointCase(
        basename="product-category",
        factory=ProductCategoryFactory,
        create_payload=lambda merchant: {"name": "Desserts", "sort_order": 5},
    ),
    EndpointCase(
        basename="product",
        factory=ProductFactory,
        create_payload=lambda merchant: {
            "name": "Es Kopi",
            "base_price": "20000",
            "category": ProductCategoryFactory(merchant=merchant).pk,
        },
        related_fields={"category": ProductCategoryFactory},
        detail_actions=(
            ("post", "thumbnail"),
            ("delete", "thumbnail"),
            ("post", "detail-images"),
            ("delete", "detail-images"),
            ("post", "stock-adjustments"),
            ("get", "stock-movements"),
        ),
    ),
    EndpointCase(
        basename="promotion",
        factory=PromotionFactory,
        create_payload=_promotion_payload,
        related_fields={"product_ids": ProductFactory},
    ),
    EndpointCase(
        basename="modifier-group",
        factory=ModifierGroupFactory,
        create_payload=lambda merchant: {
            "name": "Size",
            "min_select": 1,
            "max_select": 1,
            "options": [{"name": "Regular"}, {"name": "Large", "price_delta": "5000"}],
        },
    ),
]


def _low_on_stock(merchant) -> str:
    name = f"Last beans of {merchant.slug}"
    ProductFactory(merchant=merchant, name=name, track_stock=True, stock=1, low_stock_threshold=3)
    return name


REPORT_CASES = [
    ReportCase(
        "panel-low-stock",
        lambda: reverse("api:report-panel", kwargs={"name": "low-stock"}),
        _low_on_stock,
    ),
]
