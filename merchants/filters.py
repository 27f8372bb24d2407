import django_filters

from merchants.models import Merchant, TableLocation


class MerchantFilterSet(django_filters.FilterSet):
    class Meta:
        model = Merchant
        fields = {
            "business_type": ["exact"],
            "pos_mode": ["exact"],
            "is_active": ["exact"],
        }


class TableLocationFilterSet(django_filters.FilterSet):
    zone = django_filters.CharFilter(lookup_expr="iexact")
    min_capacity = django_filters.NumberFilter(field_name="capacity", lookup_expr="gte")

    class Meta:
        model = TableLocation
        fields = ["is_active", "zone", "min_capacity"]
