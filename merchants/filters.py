import django_filters
from django import forms
from django.utils.translation import gettext

from merchants.models import Merchant, TableLocation
from merchants.money import STORED_PLACES

MAX_ID = 2**63 - 1


class IdFilter(django_filters.NumberFilter):
    """An id filter that refuses what no id column can hold (400, not a database overflow)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class CountFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 2**31 - 1)
        super().__init__(*args, **kwargs)


class MomentField(forms.DateTimeField):
    """An ISO 8601 moment in the years 2000-2100 (see merchants.api.base.BoundedDateTimeField)."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is not None and not 2000 <= moment.year <= 2100:
            raise forms.ValidationError(gettext("Use a date between the years 2000 and 2100."))
        return moment


class MomentFilter(django_filters.IsoDateTimeFilter):
    field_class = type("IsoMomentField", (MomentField, django_filters.fields.IsoDateTimeField), {})


class MoneyFilter(django_filters.NumberFilter):
    """An amount: at most 12 digits before the point and 2 after."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", STORED_PLACES)
        super().__init__(*args, **kwargs)


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
    min_capacity = CountFilter(field_name="capacity", lookup_expr="gte")

    class Meta:
        model = TableLocation
        fields = ["is_active", "zone", "min_capacity"]
