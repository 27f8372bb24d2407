import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy

from catalog.models import Product, ProductCategory, Promotion, StockMovement
from catalog.selectors import product_filter_low_stock
from merchants.filters import IdFilter, MomentFilter, MoneyFilter


class ProductCategoryFilterSet(django_filters.FilterSet):
    class Meta:
        model = ProductCategory
        fields = ["is_active"]


class ProductFilterSet(django_filters.FilterSet):
    category = IdFilter(field_name="category_id")
    uncategorized = django_filters.BooleanFilter(field_name="category", lookup_expr="isnull")
    min_price = MoneyFilter(field_name="base_price", lookup_expr="gte")
    max_price = MoneyFilter(field_name="base_price", lookup_expr="lte")
    low_stock = django_filters.BooleanFilter(method="filter_low_stock")

    class Meta:
        model = Product
        fields = [
            "category",
            "uncategorized",
            "product_type",
            "is_available",
            "is_active",
            "track_stock",
            "min_price",
            "max_price",
            "low_stock",
        ]

    def filter_low_stock(self, queryset, name, value):
        return product_filter_low_stock(queryset, low=value)


class PublicProductFilterSet(django_filters.FilterSet):
    category = IdFilter(field_name="category_id")
    min_price = MoneyFilter(field_name="base_price", lookup_expr="gte")
    max_price = MoneyFilter(field_name="base_price", lookup_expr="lte")

    class Meta:
        model = Product
        fields = ["category", "product_type", "min_price", "max_price"]


class PromotionFilterSet(django_filters.FilterSet):
    running = django_filters.BooleanFilter(
        method="filter_running", label=gettext_lazy("Running now")
    )
    product = IdFilter(field_name="items__product_id", distinct=True)

    class Meta:
        model = Promotion
        fields = ["is_active", "discount_type", "running", "product"]

    def filter_running(self, queryset, name, value):
        running = queryset.running(timezone.now())
        return running if value else queryset.exclude(pk__in=running.values("pk"))


class StockMovementFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=StockMovement.Kind.choices)
    created_after = MomentFilter(field_name="created_at", lookup_expr="gte")
    created_before = MomentFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = StockMovement
        fields = ["kind", "created_after", "created_before"]
