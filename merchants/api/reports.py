"""Dashboard panels over the API: one JSON endpoint per panel, each app's selector behind it.

`GET /api/v1/reports/panels` lists what the caller may see; `GET /api/v1/reports/panels/{name}`
answers one panel (a chart's labels and datasets, or a table's columns and rows).
"""

from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from merchants.api.base import MerchantScopedAPIView, YearBoundedMixin
from merchants.api.permissions import Role
from merchants.money import STORED_PLACES
from merchants.reports import PANEL_TYPES, PANEL_UNITS, Panel, panel_get, panels_for_role


class LocalDateField(YearBoundedMixin, serializers.DateField):
    """A local calendar date (YYYY-MM-DD) a shop can mean: the years 2000 to 2100."""


def report_money(**kwargs) -> serializers.DecimalField:
    """Sums of many orders: a decimal string with two places."""
    return serializers.DecimalField(max_digits=18, decimal_places=STORED_PLACES, **kwargs)


class ReportMerchantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()


class PanelSummarySerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.SerializerMethodField()
    type = serializers.ChoiceField(choices=PANEL_TYPES)
    unit = serializers.ChoiceField(choices=PANEL_UNITS)
    description = serializers.SerializerMethodField()
    role = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    # Titles and descriptions are marked with gettext_noop in each app's panels.py.
    def get_title(self, panel: Panel) -> str:
        return gettext(panel.title)

    def get_description(self, panel: Panel) -> str:
        return gettext(panel.description) if panel.description else ""

    def get_role(self, panel: Panel) -> str:
        return Role(panel.role).name.lower()

    def get_url(self, panel: Panel) -> str:
        return reverse("api:report-panel", kwargs={"name": panel.name})


class DatasetSerializer(serializers.Serializer):
    label = serializers.CharField()
    data = serializers.ListField(
        child=serializers.CharField(), help_text=gettext_lazy("Decimal strings, one per label.")
    )


class ColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()


class PanelSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    type = serializers.ChoiceField(choices=PANEL_TYPES)
    unit = serializers.ChoiceField(choices=PANEL_UNITS)
    merchant = ReportMerchantSerializer()
    currency = serializers.CharField()
    time_zone = serializers.CharField()
    generated_at = serializers.DateTimeField()
    period_from = serializers.DateField(allow_null=True)
    period_to = serializers.DateField(allow_null=True)
    labels = serializers.ListField(child=serializers.CharField())
    datasets = DatasetSerializer(many=True)
    columns = ColumnSerializer(many=True)
    rows = serializers.ListField(child=serializers.DictField())
    is_empty = serializers.BooleanField()
    note = serializers.CharField(allow_blank=True)


class PanelListView(MerchantScopedAPIView):
    """The dashboard panels you may see at this merchant, in dashboard order."""

    @extend_schema(responses={200: PanelSummarySerializer(many=True)}, operation_id="report_panels")
    def get(self, request):
        panels = panels_for_role(self.tenant.role)  # the operator acts as an owner
        return Response(PanelSummarySerializer(panels, many=True).data)


class PanelView(MerchantScopedAPIView):
    """One dashboard panel, computed now in the merchant's time zone (one or two queries).

    Chart values are decimal strings (money with two places, counts as whole numbers).
    """

    @cached_property
    def panel(self) -> Panel:
        return panel_get(self.kwargs["name"])

    def required_role(self, request) -> int:
        return self.panel.role  # an unknown name is a 404, once the caller is known

    @extend_schema(responses={200: PanelSerializer}, operation_id="report_panel")
    def get(self, request, name: str):
        now = timezone.now()
        data = self.panel.compute(merchant=self.merchant, now=now)
        merchant = self.merchant
        body = {
            "name": self.panel.name,
            "title": gettext(self.panel.title),  # marked in each app's panels.py
            "type": self.panel.type,
            "unit": self.panel.unit,
            "merchant": merchant,
            "currency": merchant.currency,
            "time_zone": merchant.time_zone,
            "generated_at": timezone.localtime(now, merchant.tzinfo),
            "period_from": data.period_from,
            "period_to": data.period_to,
            "labels": data.labels,
            "datasets": data.datasets,
            "columns": data.columns,
            "rows": data.rows,
            "is_empty": data.is_empty,
            "note": data.note,
        }
        return Response(PanelSerializer(body).data)
