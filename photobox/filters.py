import django_filters
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions
from rest_framework.filters import OrderingFilter

from merchants.filters import MAX_ID, IdFilter
from photobox.models import KioskLocation, KioskPrice, PhotoSession

MAX_LIST_ITEMS = 100


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdListFilter(django_filters.BaseInFilter, IdFilter):
    """Comma-separated ids, e.g. `location_ids=3,4`."""


class StatusListFilter(django_filters.BaseInFilter, django_filters.ChoiceFilter):
    """Comma-separated statuses, e.g. `statuses=PENDING,COMPLETED`."""


class KioskLocationFilterSet(django_filters.FilterSet):
    class Meta:
        model = KioskLocation
        fields = ["is_active"]


class KioskPriceFilterSet(django_filters.FilterSet):
    location = IdFilter(field_name="location_id")
    all_locations = django_filters.BooleanFilter(
        field_name="location", lookup_expr="isnull", label=gettext_lazy("Offered at every kiosk")
    )

    class Meta:
        model = KioskPrice
        fields = ["is_active", "location", "all_locations"]


class PhotoSessionFilterSet(django_filters.FilterSet):
    location_ids = IdListFilter(
        method="filter_location_ids",
        help_text=gettext_lazy("Comma-separated location ids (at most 100)."),
    )
    statuses = StatusListFilter(
        field_name="status",
        lookup_expr="in",
        choices=PhotoSession.Status.choices,
        help_text=gettext_lazy("Comma-separated statuses."),
    )
    date_from = django_filters.DateFilter(
        field_name="business_date",
        lookup_expr="gte",
        help_text=gettext_lazy("Local date (inclusive)."),
    )
    date_to = django_filters.DateFilter(
        field_name="business_date",
        lookup_expr="lte",
        help_text=gettext_lazy("Local date (inclusive)."),
    )
    payment_issue = django_filters.ChoiceFilter(
        choices=[c for c in PhotoSession.PaymentIssue.choices if c[0]],
        help_text=gettext_lazy("Only sessions flagged for the owner (e.g. paid_late: refund due)."),
    )

    class Meta:
        model = PhotoSession
        fields = ["location_ids", "statuses", "date_from", "date_to", "payment_issue"]

    def filter_location_ids(self, queryset, name, value):
        if len(value) > MAX_LIST_ITEMS:
            raise exceptions.ValidationError(
                {name: [gettext("At most %(count)s ids at once.") % {"count": MAX_LIST_ITEMS}]}
            )
        return queryset.filter(location_id__in=value) if value else queryset


class SortFilter(OrderingFilter):
    """`?sort_by=amount&sort_order=asc` next to the usual `?ordering=-amount`."""

    sort_param = "sort_by"
    order_param = "sort_order"

    def get_ordering(self, request, queryset, view):
        params = request.query_params
        if self.ordering_param in params or self.sort_param not in params:
            return super().get_ordering(request, queryset, view)
        field = params.get(self.sort_param)
        direction = params.get(self.order_param, "desc").lower()
        allowed = [
            name
            for name, _label in self.get_valid_fields(queryset, view, context={"request": request})
        ]
        errors = {}
        if field not in allowed:
            errors[self.sort_param] = [
                gettext("Sort by one of: %(fields)s.") % {"fields": ", ".join(allowed)}
            ]
        if direction not in ("asc", "desc"):
            errors[self.order_param] = [gettext("Use asc or desc.")]
        if errors:
            raise exceptions.ValidationError(errors)
        return [f"{'-' if direction == 'desc' else ''}{field}", "-pk"]

    def get_schema_operation_parameters(self, view):
        fields = [name for name in getattr(view, "ordering_fields", [])]
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.sort_param,
                "required": False,
                "in": "query",
                "description": "Field to sort by, with sort_order (ordering wins if given).",
                "schema": {"type": "string", "enum": fields},
            },
            {
                "name": self.order_param,
                "required": False,
                "in": "query",
                "description": "asc or desc (default desc).",
                "schema": {"type": "string", "enum": ["asc", "desc"]},
            },
        ]
