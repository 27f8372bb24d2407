import django_filters

from merchants.filters import IdFilter
from orders.models import Order


class OrderFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Order.Status.choices)
    payment_status = django_filters.MultipleChoiceFilter(choices=Order.PaymentStatus.choices)
    order_type = django_filters.MultipleChoiceFilter(choices=Order.Type.choices)
    table = IdFilter(field_name="table_id")
    customer = IdFilter(field_name="customer_id")
    created_from = django_filters.DateFilter(
        field_name="business_date", lookup_expr="gte", help_text="Local date (inclusive)."
    )
    created_to = django_filters.DateFilter(
        field_name="business_date", lookup_expr="lte", help_text="Local date (inclusive)."
    )

    class Meta:
        model = Order
        fields = ["status", "payment_status", "order_type", "table", "customer"]


class MyOrderFilterSet(django_filters.FilterSet):
    payment_status = django_filters.MultipleChoiceFilter(choices=Order.PaymentStatus.choices)
    status = django_filters.MultipleChoiceFilter(choices=Order.Status.choices)

    class Meta:
        model = Order
        fields = ["payment_status", "status"]
