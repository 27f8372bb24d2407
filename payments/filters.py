import django_filters

from merchants.filters import MomentFilter
from payments.models import Payment


class PaymentFilterSet(django_filters.FilterSet):
    reference_id = django_filters.CharFilter()
    created_after = MomentFilter(field_name="created_at", lookup_expr="gte")
    created_before = MomentFilter(field_name="created_at", lookup_expr="lt")
    paid_after = MomentFilter(field_name="paid_at", lookup_expr="gte")
    paid_before = MomentFilter(field_name="paid_at", lookup_expr="lt")

    class Meta:
        model = Payment
        fields = [
            "gateway",
            "method",
            "status",
            "reference_kind",
            "reference_id",
            "amount_mismatch",
            "created_after",
            "created_before",
            "paid_after",
            "paid_before",
        ]
