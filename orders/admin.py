from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, Case, Value, When
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from merchants.actors import Actor
from merchants.admin_base import (
    MerchantScopedAdmin,
    MerchantScopedTabularInline,
    ReadOnlyPermissionsMixin,
    merchant_ids_of,
)
from merchants.admin_display import money, readable_json, short_time
from merchants.admin_locale import currency_of
from merchants.dashboard import admin_tenant
from merchants.errors import DomainError
from merchants.exports import Column, CsvExportMixin
from merchants.models import Membership
from merchants.reports import local_today
from orders.admin_actions import OrderActionsAdminMixin
from orders.admin_payments import OrderPaymentsAdminMixin
from orders.event_details import event_details
from orders.models import Order, OrderEvent, OrderItem
from orders.reports import COUNTS_AS_REVENUE, daily_report, order_refunds
from orders.selectors import ORDER_SEARCH_FIELDS, order_search
from orders.services import order_cancel, order_complete, order_confirm

Role = Membership.Role


class ReadOnlyInline(ReadOnlyPermissionsMixin, MerchantScopedTabularInline):
    extra = 0
    can_delete = False
    show_change_link = False


def _modifiers(item: OrderItem) -> str:
    return ", ".join(
        f"{choice['group']}: {choice['name']}"
        + (f" (+{choice['price_delta']})" if Decimal(choice["price_delta"]) else "")
        for choice in item.modifiers
    )


class OrderItemInline(ReadOnlyInline):
    model = OrderItem
    fields = (
        "product_name",
        "modifiers_chosen",
        "quantity",
        "base_price",
        "final_price",
        "promotion_name",
        "line_subtotal_amount",
        "order_discount_amount",
        "tax_amount",
        "service_charge_amount",
        "notes",
    )
    readonly_fields = fields

    @admin.display(description=gettext_lazy("Modifiers"))
    def modifiers_chosen(self, item):
        return _modifiers(item) or "—"


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = (
        "created_at",
        "kind",
        "from_status_label",
        "to_status_label",
        "actor_label",
        "details",
    )
    readonly_fields = fields

    @admin.display(description=OrderEvent._meta.get_field("from_status").verbose_name)
    def from_status_label(self, event):
        return event.status_label(event.from_status)

    @admin.display(description=OrderEvent._meta.get_field("to_status").verbose_name)
    def to_status_label(self, event):
        return event.status_label(event.to_status)

    def get_queryset(self, request):
        # The order's currency writes the amounts of `details`: joined, not read per event.
        return super().get_queryset(request).select_related("order")

    @admin.display(description=_("Details"))
    def details(self, event):
        # Named in the reader's language, amounts in the order's currency (event_details).
        return readable_json(event_details(event.payload, currency_of(event)))


def _items(order: Order) -> str:
    return "; ".join(f"{item.quantity} × {item.product_name}" for item in order.items.all())


ORDER_EXPORT_COLUMNS = [
    Column("number"),
    Column("merchant", "merchant__slug"),
    Column("business_date"),
    Column("created_at"),
    Column("time_zone", "merchant__time_zone"),
    Column("status"),
    Column("payment_status"),
    Column("counts_as_revenue"),
    Column("order_type"),
    Column("table", "table__number"),
    Column("customer_name", "customer__name"),
    Column("customer_email", "customer__email"),
    Column("cashier", "created_by__username"),
    Column("items", _items),
    Column("currency"),
    Column("subtotal", "subtotal_amount"),
    Column("discount", "discount_amount"),
    Column("tax", "tax_amount"),
    Column("service", "service_charge_amount"),
    Column("total", "total_amount"),
    Column("rounded", "rounded_amount"),
    Column("refunded"),
    Column("paid_at"),
    Column("completed_at"),
    Column("cancelled_at"),
]


class DailyReportForm(forms.Form):
    date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


@admin.register(Order)
class OrderAdmin(
    OrderActionsAdminMixin, OrderPaymentsAdminMixin, CsvExportMixin, MerchantScopedAdmin
):
    # Fits 1366 px beside the filters: when (local time), where (table or kind) in one column,
    # the total as money; the merchant column only for someone with several merchants.
    list_display = (
        "number",
        "merchant",
        "placed",
        "where",
        "customer_name",
        "status",
        "payment",
        "total",
    )
    list_filter = ("status", "payment_status", "order_type", "merchant", "business_date")
    list_select_related = ("merchant", "table", "customer")
    search_fields = ORDER_SEARCH_FIELDS
    # The merchant's own day, indexed with the merchant; its years and months come from the
    # first and last day (two index reads) rather than a scan of every order.
    date_hierarchy = "business_date"
    bounded_date_hierarchy = True
    ordering = ("-created_at",)
    show_full_result_count = False
    list_per_page = 50
    inlines = (OrderItemInline, OrderEventInline)
    actions = ("confirm_orders", "complete_orders", "cancel_orders")
    fieldsets = (
        (None, {"fields": ("number", "merchant", "status", "payment_status", "business_date")}),
        (
            gettext_lazy("Who and where"),
            {
                "fields": (
                    "order_type",
                    "table",
                    "guest_count",
                    "customer",
                    "created_by",
                    "split_from",
                    "notes",
                    "voided_lines",
                )
            },
        ),
        (
            gettext_lazy("Money"),
            {
                "fields": (
                    "currency",
                    "subtotal_amount",
                    "discount_amount",
                    "tax_amount",
                    "service_charge_amount",
                    "total_amount",
                    "rounded_amount",
                    "prices_include_tax",
                    "amount_paid",
                    "amount_due_money",
                )
            },
        ),
        (
            gettext_lazy("Discount by staff"),
            {
                "fields": (
                    "staff_discount_kind",
                    "staff_discount_value",
                    "staff_discount_reason",
                    "staff_discount_amount",
                )
            },
        ),
        (
            gettext_lazy("Times"),
            {"fields": ("created_at", "confirmed_at", "completed_at", "cancelled_at", "paid_at")},
        ),
    )
    readonly_fields = (
        "number",
        "merchant",
        "status",
        "payment_status",
        "business_date",
        "order_type",
        "table",
        "guest_count",
        "customer",
        "created_by",
        "currency",
        "subtotal_amount",
        "discount_amount",
        "tax_amount",
        "service_charge_amount",
        "total_amount",
        "rounded_amount",
        "prices_include_tax",
        "amount_paid",
        "amount_due_money",
        "staff_discount_kind",
        "staff_discount_value",
        "staff_discount_reason",
        "staff_discount_amount",
        "split_from",
        "voided_lines",
        "created_at",
        "confirmed_at",
        "completed_at",
        "cancelled_at",
        "paid_at",
    )
    # Officers run the day: they may move orders (only notes are editable on the form).
    change_role = Role.OFFICER
    export_columns = ORDER_EXPORT_COLUMNS
    export_select_related = ("merchant", "table", "customer", "created_by")
    export_prefetch_related = ("items",)

    def get_export_queryset(self, request, queryset):
        return (
            super()
            .get_export_queryset(request, queryset)
            .annotate(
                refunded=order_refunds(),
                counts_as_revenue=Case(
                    When(COUNTS_AS_REVENUE, then=Value(True)),
                    default=Value(False),
                    output_field=BooleanField(),
                ),
            )
        )

    @admin.display(description=_("Placed"), ordering="created_at")
    def placed(self, obj):
        return short_time(obj.created_at, obj.merchant)

    @admin.display(description=_("Where"), ordering="table__number")
    def where(self, obj):
        if obj.table_id:
            return _("Table %(number)s") % {"number": obj.table.number}
        return obj.get_order_type_display()

    @admin.display(description=_("Payment"), ordering="payment_status")
    def payment(self, obj):
        return obj.get_payment_status_display()

    @admin.display(description=_("Customer"), ordering="customer__name")
    def customer_name(self, obj):
        return (obj.customer.name or obj.customer.email) if obj.customer_id else ""

    @admin.display(description=_("Total"), ordering="total_amount")
    def total(self, obj):
        return money(obj.total_amount, obj.currency)

    @admin.display(description=gettext_lazy("Voided lines"))
    def voided_lines(self, obj):
        """Lines taken off the bill, kept with who voided them, when and why."""
        voided = OrderItem.all_lines.filter(order=obj, voided_at__isnull=False).order_by("pk")
        return (
            format_html_join(
                mark_safe("<br>"),
                "{} × {} ({}) · voided by {} on {}: {}",
                (
                    (
                        item.quantity,
                        item.product_name,
                        item.final_price,
                        item.voided_by,
                        f"{timezone.localtime(item.voided_at, obj.merchant.tzinfo):%Y-%m-%d %H:%M}",
                        item.void_reason,
                    )
                    for item in voided
                ),
            )
            or "—"
        )

    def get_search_results(self, request, queryset, search_term):
        # Django's search over search_fields, its terms split as Django splits them (quoted
        # phrases whole), answered from indexes (see order_search).
        terms = [
            unescape_string_literal(bit)
            if bit.startswith(('"', "'")) and bit[0] == bit[-1]
            else bit
            for bit in smart_split(search_term)
        ]
        if not terms:
            return queryset, False
        merchant_ids = None if request.user.is_superuser else merchant_ids_of(request)
        return order_search(queryset, terms=terms, merchant_ids=merchant_ids), False

    def get_urls(self):
        report = path(
            "daily-report/",
            self.admin_site.admin_view(self.daily_report_view),
            name="orders_order_daily_report",
        )
        return [report, *super().get_urls()]

    def daily_report_view(self, request):
        """The printable end-of-day report: X while the day is open, Z once it has closed.
        Owners pick any past day; officers print today's."""
        tenant = admin_tenant(request)
        if tenant.merchant is None:
            messages.info(request, gettext("Choose a merchant first."))
            return redirect("admin:index")
        if not tenant.has_role(Role.OFFICER):
            raise PermissionDenied
        merchant = tenant.merchant
        today = local_today(merchant)
        form = DailyReportForm(request.GET or None, initial={"date": today})
        day = None
        if form.is_bound and not form.is_valid():
            messages.error(
                request, gettext("That is not a date (YYYY-MM-DD); here is today's report.")
            )
        elif form.is_bound:
            day = form.cleaned_data.get("date")
        day = day or today
        if day != today and not tenant.has_role(Role.OWNER):
            raise PermissionDenied(
                gettext("Officers print today's report; an owner can print other days.")
            )
        try:
            report = daily_report(merchant=merchant, day=day)
        except DomainError as error:
            messages.error(request, error.message)
            report = daily_report(merchant=merchant, day=today)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("%(kind)s report · %(merchant)s · %(day)s")
            % {
                "kind": report.kind.upper(),
                "merchant": merchant.name,
                "day": f"{report.day:%Y-%m-%d}",
            },
            "report": report,
            # The day's cash drawer shifts, each with its own printable report.
            "shifts": report.shifts,
            "form": form,
            "can_pick_day": tenant.has_role(Role.OWNER),
            "printed_by": request.user.get_username(),
            "tenant": tenant,
        }
        return TemplateResponse(request, "admin/orders/daily_report.html", context)

    def has_add_permission(self, request, obj=None):
        return False  # orders are rung up at the counter (API), priced by the server

    def has_delete_permission(self, request, obj=None):
        return False  # cancel instead; the history stays

    def _run(self, request, queryset, service, done_message):
        done, failed = 0, []
        actor = Actor.staff(request.user)
        for order in queryset:
            try:
                service(order=order, actor=actor)
                done += 1
            except DomainError as error:
                failed.append(error.message)
        if done:
            self.message_user(
                request,
                done_message % {"done": done},
                messages.SUCCESS,
            )
        for message in failed:
            self.message_user(request, message, messages.WARNING)

    @admin.action(description=gettext_lazy("Confirm selected orders"))
    def confirm_orders(self, request, queryset):
        self._run(request, queryset, order_confirm, gettext("%(done)s order(s) confirmed."))

    @admin.action(description=gettext_lazy("Complete selected orders"))
    def complete_orders(self, request, queryset):
        self._run(request, queryset, order_complete, gettext("%(done)s order(s) completed."))

    @admin.action(description=gettext_lazy("Cancel selected orders (stock goes back)"))
    def cancel_orders(self, request, queryset):
        self._run(request, queryset, order_cancel, gettext("%(done)s order(s) cancelled."))
