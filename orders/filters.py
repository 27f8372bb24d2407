import django_filters
from django.utils.translation import gettext_lazy
from rest_framework.filters import SearchFilter

from merchants.filters import IdFilter
from orders.models import Order
from orders.selectors import order_search


def _choice_filter(choices) -> django_filters.MultipleChoiceFilter:
    # A column of the order itself cannot repeat a row, so no SELECT DISTINCT (django-filter's
    # default), which made PostgreSQL sort every matching order before taking one page.
    return django_filters.MultipleChoiceFilter(choices=choices, distinct=False)


class OrderFilterSet(django_filters.FilterSet):
    status = _choice_filter(Order.Status.choices)
    payment_status = _choice_filter(Order.PaymentStatus.choices)
    order_type = _choice_filter(Order.Type.choices)
    table = IdFilter(field_name="table_id")
    # Staff know a table by what is written on it ("3", "A1"), not by its id.
    table_number = django_filters.CharFilter(
        field_name="table__number",
        lookup_expr="iexact",
        help_text=gettext_lazy("The table's number as written on it, e.g. A1 (`table` is its id)."),
    )
    customer = IdFilter(field_name="customer_id")
    created_from = django_filters.DateFilter(
        field_name="business_date",
        lookup_expr="gte",
        help_text=gettext_lazy("Local date (inclusive)."),
    )
    created_to = django_filters.DateFilter(
        field_name="business_date",
        lookup_expr="lte",
        help_text=gettext_lazy("Local date (inclusive)."),
    )

    class Meta:
        model = Order
        fields = ["status", "payment_status", "order_type", "table", "customer"]


class MyOrderFilterSet(django_filters.FilterSet):
    payment_status = _choice_filter(Order.PaymentStatus.choices)
    status = _choice_filter(Order.Status.choices)

    class Meta:
        model = Order
        fields = ["payment_status", "status"]


class OrderSearchFilter(SearchFilter):
    """`?search=` as DRF splits and documents it, answered by `order_search` (which looks in
    the view's search_fields, ORDER_SEARCH_FIELDS) for the request's merchant."""

    def filter_queryset(self, request, queryset, view):
        terms = self.get_search_terms(request)
        if not terms:
            return queryset
        return order_search(queryset, terms=terms, merchant_ids=[view.merchant.pk])
