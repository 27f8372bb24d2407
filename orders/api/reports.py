"""The end-of-day report and the sales report (what counts as revenue: see orders.reports)."""

from django.conf import settings
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiTypes,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from merchants.api.base import MerchantScopedAPIView
from merchants.api.pagination import StandardPagination
from merchants.api.permissions import Role
from merchants.api.reports import LocalDateField, ReportMerchantSerializer, report_money
from merchants.reports import local_today
from orders import reports
from payments.api.serializers import ShiftSerializer

# --- serializers ---------------------------------------------------------------------------


class SalesFiguresSerializer(serializers.Serializer):
    orders = serializers.IntegerField(help_text=gettext_lazy("Orders counted as revenue."))
    gross = report_money(help_text=gettext_lazy("Σ list price × quantity."))
    discounts = report_money()
    tax = report_money()
    service = report_money(help_text=gettext_lazy("Service charge."))
    total = report_money(help_text=gettext_lazy("gross − discounts + tax + service."))
    refunds = report_money(help_text=gettext_lazy("Refunded by the orders' payments."))
    net = report_money(help_text=gettext_lazy("total − refunds."))


class PaymentMethodLineSerializer(serializers.Serializer):
    method = serializers.CharField()
    label = serializers.CharField(
        help_text=gettext_lazy("The payment method's name, or the kind's.")
    )
    payment_method_id = serializers.IntegerField(
        allow_null=True,
        help_text=gettext_lazy("The merchant's payment method, when the payments named one."),
    )
    payments = serializers.IntegerField()
    amount = report_money()
    refunds = report_money()
    net = report_money()


class CashierLineSerializer(serializers.Serializer):
    user_id = serializers.IntegerField(
        allow_null=True, help_text=gettext_lazy("Empty: orders customers placed themselves.")
    )
    username = serializers.CharField(allow_blank=True)
    orders = serializers.IntegerField()
    total = report_money()
    refunds = report_money()
    net = report_money()
    cash_received = report_money(
        help_text=gettext_lazy("Cash this person took, net of cash refunds.")
    )


class DailyReportShiftSerializer(ShiftSerializer):
    """A shift on the daily report: the figures stored at its close (empty while it is open;
    `GET /api/v1/shifts/{id}` has the running arithmetic)."""

    class Meta(ShiftSerializer.Meta):
        fields = [
            "id",
            "register",
            "opened_at",
            "closed_at",
            "opening_cash",
            "expected_cash",
            "counted_cash",
            "difference",
            "status",
        ]
        read_only_fields = fields


class DailyReportSerializer(serializers.Serializer):
    date = serializers.DateField(source="day")
    kind = serializers.ChoiceField(
        choices=(
            ("x", gettext_lazy("X report: the day is still open")),
            ("z", gettext_lazy("Z report: a closed day")),
        )
    )
    is_closed = serializers.BooleanField()
    merchant = ReportMerchantSerializer()
    currency = serializers.CharField(source="merchant.currency")
    time_zone = serializers.CharField(source="merchant.time_zone")
    generated_at = serializers.DateTimeField()
    figures = SalesFiguresSerializer()
    cash = report_money(help_text=gettext_lazy("Cash payments of these orders, net of refunds."))
    non_cash = report_money(help_text=gettext_lazy("Every other payment method, net of refunds."))
    payment_methods = PaymentMethodLineSerializer(source="methods", many=True)
    cashiers = CashierLineSerializer(many=True)
    cancelled_orders = serializers.IntegerField(help_text=gettext_lazy("Not counted."))
    open_orders = serializers.IntegerField(help_text=gettext_lazy("Not paid yet, not counted."))
    open_total = report_money()
    shifts = DailyReportShiftSerializer(
        many=True,
        help_text=gettext_lazy(
            "Cash drawer shifts open at any moment of the day, by opening time (as the "
            "printed Z report lists them)."
        ),
    )


class DailyReportQuerySerializer(serializers.Serializer):
    date = LocalDateField(
        required=False,
        help_text=gettext_lazy("The merchant's local date, YYYY-MM-DD; default: today."),
    )


class SalesReportQuerySerializer(serializers.Serializer):
    """`from` and `to` are local dates, both included."""

    def get_fields(self):
        return {
            "from": LocalDateField(help_text=gettext("First local date (YYYY-MM-DD), included.")),
            "to": LocalDateField(help_text=gettext("Last local date (YYYY-MM-DD), included.")),
            "group_by": serializers.ChoiceField(choices=reports.GROUP_BY, default="day"),
        }

    def validate(self, attrs):
        first, last = attrs["from"], attrs["to"]
        if first > last:
            raise serializers.ValidationError({"to": gettext("Must be on or after `from`.")})
        longest = settings.REPORT_MAX_DAYS
        if (last - first).days + 1 > longest:
            raise serializers.ValidationError(
                {
                    "to": gettext(
                        "A report covers at most %(longest)s days; ask for a shorter range."
                    )
                    % {"longest": longest}
                }
            )
        return attrs


class PeriodRowSerializer(SalesFiguresSerializer):
    period_start = serializers.DateField(
        help_text=gettext_lazy("First local date of the period in range.")
    )
    period_end = serializers.DateField(
        help_text=gettext_lazy("Last local date of the period in range.")
    )

    def to_representation(self, line):
        return {
            "period_start": line.start.isoformat(),
            "period_end": line.end.isoformat(),
            **SalesFiguresSerializer(line.figures).data,
        }


class LineSalesSerializer(serializers.Serializer):
    quantity = serializers.IntegerField()
    orders = serializers.IntegerField()
    sales = report_money(
        help_text=gettext_lazy("Final price × quantity, before tax, service and refunds.")
    )
    discounts = report_money()


class ProductRowSerializer(LineSalesSerializer):
    product_id = serializers.IntegerField()
    name = serializers.CharField(source="product__name")
    category = serializers.CharField(source="product__category__name", allow_null=True)


class CategoryRowSerializer(LineSalesSerializer):
    category_id = serializers.IntegerField(
        source="product__category_id",
        allow_null=True,
        help_text=gettext_lazy("Empty: uncategorised."),
    )
    name = serializers.CharField(source="product__category__name", allow_null=True)


SalesRow = PolymorphicProxySerializer(
    component_name="SalesReportRow",
    serializers=[PeriodRowSerializer, ProductRowSerializer, CategoryRowSerializer],
    resource_type_field_name=None,
    many=True,
)


class SalesReportSerializer(serializers.Serializer):
    """The response's shape (for the schema); the view assembles it from its parts."""

    from_ = serializers.DateField()
    to = serializers.DateField()
    group_by = serializers.ChoiceField(choices=reports.GROUP_BY)
    merchant = ReportMerchantSerializer()
    currency = serializers.CharField()
    time_zone = serializers.CharField()
    totals = SalesFiguresSerializer()
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SalesRow

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


# --- views ---------------------------------------------------------------------------------


class DailyReportView(MerchantScopedAPIView):
    """End-of-day report for one local date: an X report while the day is open, Z once closed.

    Owners read any past day; officers read today's (the X report of their shift).
    """

    read_role = Role.OFFICER

    @extend_schema(
        parameters=[DailyReportQuerySerializer],
        responses={200: DailyReportSerializer},
        operation_id="report_daily",
    )
    def get(self, request):
        params = DailyReportQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        today = local_today(self.merchant)
        day = params.validated_data.get("date") or today
        if day != today and not self.tenant.has_role(Role.OWNER):
            raise PermissionDenied(
                gettext("Officers see today's report only; an owner can read other days.")
            )
        report = reports.daily_report(merchant=self.merchant, day=day)
        return Response(DailyReportSerializer(report).data)


class SalesReportView(MerchantScopedAPIView):
    """Revenue between two local dates, per day, week (from Monday), month, product or
    category; rows are paginated (`limit`, `offset`), totals cover the whole range."""

    read_role = Role.OWNER
    pagination_class = StandardPagination

    @extend_schema(
        parameters=[
            SalesReportQuerySerializer,
            OpenApiParameter("limit", OpenApiTypes.INT, description="Rows per page (≤ 1000)."),
            OpenApiParameter("offset", OpenApiTypes.INT, description="Rows to skip."),
        ],
        responses={200: SalesReportSerializer},
        operation_id="report_sales",
    )
    def get(self, request):
        params = SalesReportQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        first, last = params.validated_data["from"], params.validated_data["to"]
        group_by = params.validated_data["group_by"]
        scope = {"merchant": self.merchant, "first": first, "last": last}
        if group_by in reports.PERIODS:
            rows = reports.sales_by_period(**scope, group_by=group_by)
            totals = reports.SalesFigures.total_of(line.figures for line in rows)
            row_serializer = PeriodRowSerializer
        else:
            totals = reports.sales_totals(**scope)
            if group_by == "product":
                rows, row_serializer = reports.sales_by_product(**scope), ProductRowSerializer
            else:
                rows, row_serializer = reports.sales_by_category(**scope), CategoryRowSerializer
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, request, view=self)
        return Response(
            {
                "from": first.isoformat(),
                "to": last.isoformat(),
                "group_by": group_by,
                "merchant": ReportMerchantSerializer(self.merchant).data,
                "currency": self.merchant.currency,
                "time_zone": self.merchant.time_zone,
                "totals": SalesFiguresSerializer(totals).data,
                "count": paginator.count,
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "results": row_serializer(page, many=True).data,
            }
        )
