import django_filters

from customers.models import Customer
from merchants.filters import MomentFilter


class CustomerFilterSet(django_filters.FilterSet):
    email = django_filters.CharFilter(lookup_expr="iexact")
    has_logged_in = django_filters.BooleanFilter(
        field_name="last_login_at", lookup_expr="isnull", exclude=True
    )
    created_after = MomentFilter(field_name="created_at", lookup_expr="gte")
    created_before = MomentFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Customer
        fields = ["is_active", "email", "has_logged_in", "created_after", "created_before"]
