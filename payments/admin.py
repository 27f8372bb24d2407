from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from merchants.actors import Actor
from merchants.admin_base import (
    MerchantScopedAdmin,
    MerchantScopedTabularInline,
    OperatorOnlyAdminMixin,
    ReadOnlyPermissionsMixin,
)
from merchants.admin_display import (
    AMOUNT_MISMATCH,
    money,
    problem_mark,
    readable_json,
    short_time,
)
from merchants.errors import DomainError
from payments.models import CashMovement, Payment, PaymentEvent, PaymentMethod, Shift
from payments.registry import reference_labels
from payments.services import payment_check_status
from payments.shifts import shift_summary


class PaymentEventDisplayMixin:
    """How an event reads: its raw JSON as a key/value list, a mark only for a bad signature."""

    @admin.display(description=_("Signature"))
    def signature(self, event):
        # Only a webhook carries a signature; only a bad one is worth a mark.
        if event.signature_valid is False:
            return problem_mark(_("invalid"))
        return _("verified") if event.signature_valid else ""

    @admin.display(description=_("What was sent or received"))
    def payload(self, event):
        return readable_json(event.raw)


class PaymentEventInline(
    PaymentEventDisplayMixin, ReadOnlyPermissionsMixin, MerchantScopedTabularInline
):
    model = PaymentEvent
    fields = ("created_at", "kind", "old_status", "new_status", "signature", "message", "payload")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    ordering = ("created_at", "pk")


@admin.register(PaymentEvent)
class PaymentEventAdmin(PaymentEventDisplayMixin, OperatorOnlyAdminMixin, admin.ModelAdmin):
    """Operator only: the whole gateway log, webhooks that matched no payment or failed their
    signature included (owners read their payments' events on each payment's page). Read-only
    and never deleted: it is the money's trail."""

    list_display = ("created_at", "kind", "payment", "signature", "new_status", "message")
    list_filter = ("kind", ("payment", admin.EmptyFieldListFilter), "signature_valid")
    list_select_related = ("payment",)
    search_fields = ("payment__gateway_order_id", "message")
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = (
        "created_at",
        "kind",
        "payment",
        "signature",
        "old_status",
        "new_status",
        "message",
        "payload",
    )
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PaymentMethod)
class PaymentMethodAdmin(MerchantScopedAdmin):
    """The ways the merchant takes money, in the order the till offers them. A method with
    payments cannot be deleted: switch it off."""

    list_display = ("name", "merchant", "kind", "sort_order", "is_active")
    list_filter = ("merchant", "kind", "is_active")
    list_select_related = ("merchant",)
    list_editable = ("sort_order", "is_active")
    search_fields = ("name",)
    ordering = ("merchant", "sort_order", "name")
    fields = ("merchant", "kind", "name", "sort_order", "is_active")


class PaymentChangeList(ChangeList):
    """Labels what each payment of the page is for (an order's number), one query per kind."""

    def get_results(self, request):
        super().get_results(request)
        labels = reference_labels(self.result_list)
        for payment in self.result_list:
            payment.reference_label = labels.get(payment.pk)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyPermissionsMixin, MerchantScopedAdmin):
    """Read-only: money and status change only through the actions (which call services)."""

    # Fits 1366 px beside the filters: the order's number instead of the reference's kind and
    # id, gateway and method in one column, a mark only for a payment that needs a look.
    list_display = (
        "gateway_order_id",
        "merchant",
        "paid_for",
        "method_name",
        "amount_display",
        "state",
        "paid",
    )
    list_filter = ("gateway", "status", "method", "amount_mismatch", "created_at", "merchant")
    list_select_related = ("merchant", "payment_method")
    search_fields = ("gateway_order_id", "gateway_transaction_id", "reference_id")
    # Years and months from the merchant's first and last payment (payment_merchant_recent).
    date_hierarchy = "created_at"
    bounded_date_hierarchy = True
    show_full_result_count = False
    raw_id_fields = ("received_by", "payment_method", "shift")
    inlines = (PaymentEventInline,)
    actions = ("refresh_status",)
    fieldsets = (
        (None, {"fields": ("merchant", "reference_kind", "reference_id", "status")}),
        (
            gettext_lazy("Money"),
            {
                "fields": (
                    "amount",
                    "currency",
                    "refunded_amount",
                    "needs_a_look",
                    "cash_tendered_amount",
                    "change_amount",
                    "received_by",
                    "payment_method",
                    "tender_reference",
                    "shift",
                )
            },
        ),
        (
            gettext_lazy("Gateway"),
            {
                "fields": (
                    "gateway",
                    "method",
                    "gateway_status",
                    "gateway_order_id",
                    "gateway_transaction_id",
                    "snap_token",
                    "redirect_url",
                    "qr_string",
                    "expires_at",
                    "paid_at",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        return [name for fieldset in self.fieldsets for name in fieldset[1]["fields"]]

    def get_changelist(self, request, **kwargs):
        return PaymentChangeList

    @admin.display(description=_("For"), ordering="reference_id")
    def paid_for(self, payment):
        label = getattr(payment, "reference_label", None)
        if label is None:
            return f"{payment.reference_kind} {payment.reference_id}"
        return format_html('<a class="nowrap" href="{}">{}</a>', label[1], label[0])

    @admin.display(description=_("Method"), ordering="method")
    def method_name(self, payment):
        if payment.payment_method_id:
            return payment.payment_method.name
        if payment.gateway in (Payment.Gateway.MIDTRANS, Payment.Gateway.XENDIT):
            return f"{payment.get_gateway_display()} · {payment.get_method_display()}"
        return payment.get_method_display()

    @admin.display(description=_("Amount"), ordering="amount")
    def amount_display(self, payment):
        return money(payment.amount, payment.currency)

    @admin.display(description=_("Paid"), ordering="paid_at")
    def paid(self, payment):
        return short_time(payment.paid_at, payment.merchant)

    @admin.display(description=_("Status"), ordering="status")
    def state(self, payment):
        # The status, and a mark only when the payment needs a look.
        mark = problem_mark(AMOUNT_MISMATCH if payment.amount_mismatch else "")
        return format_html("{} {}", payment.get_status_display(), mark)

    @admin.display(description=_("Amount check"))
    def needs_a_look(self, payment):
        return problem_mark(AMOUNT_MISMATCH) if payment.amount_mismatch else _("matches")

    @admin.action(description=gettext_lazy("Refresh status from the gateway"))
    def refresh_status(self, request, queryset):
        changed = failed = 0
        actor = Actor.staff(request.user)
        for payment in queryset.select_related("merchant"):
            try:
                updated = payment_check_status(payment=payment, actor=actor)
            except DomainError as error:
                failed += 1
                self.message_user(
                    request, f"{payment.gateway_order_id}: {error.message}", messages.ERROR
                )
                continue
            changed += updated.status != payment.status
        self.message_user(
            request,
            gettext("Status refreshed; %(changed)s payment(s) changed.") % {"changed": changed},
        )


class CashMovementInline(ReadOnlyPermissionsMixin, MerchantScopedTabularInline):
    """Cash in, out and refunded, recorded at the till (the API): a correction is a new
    movement on the register's next shift."""

    model = CashMovement
    fields = ("created_at", "kind", "amount", "reason", "actor", "payment")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("created_at", "pk")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "payment", "shift")


@admin.register(Shift)
class ShiftAdmin(ReadOnlyPermissionsMixin, MerchantScopedAdmin):
    """Cash drawer shifts, opened and closed at the till (the API); read here, with the
    printable shift (Z) report."""

    list_display = (
        "register",
        "merchant",
        "opened_at",
        "closed_at",
        "opening_cash",
        "expected_cash",
        "counted_cash",
        "difference",
        "report_link",
    )
    list_filter = ("merchant", "register")
    list_select_related = ("merchant",)
    search_fields = ("register", "note")
    date_hierarchy = "opened_at"
    show_full_result_count = False
    inlines = (CashMovementInline,)
    money_fields = ("opening_cash", "expected_cash", "counted_cash", "difference")
    fields = (
        "merchant",
        "register",
        "currency",
        "opening_cash",
        "opened_at",
        "opened_by",
        "closed_at",
        "closed_by",
        "expected_cash",
        "counted_cash",
        "difference",
        "note",
        "report_link",
    )
    readonly_fields = fields

    @admin.display(description=gettext_lazy("Report"))
    def report_link(self, shift):
        url = reverse("admin:payments_shift_report", args=[shift.pk])
        label = gettext("Z report") if shift.closed_at else gettext("X report")
        return format_html('<a href="{}">{}</a>', url, label)

    def get_urls(self):
        report = path(
            "<int:pk>/report/",
            self.admin_site.admin_view(self.report_view),
            name="payments_shift_report",
        )
        return [report, *super().get_urls()]

    def report_view(self, request, pk: int):
        """The printable report of one shift: Z once closed, X while open."""
        shift = get_object_or_404(
            self.get_queryset(request).select_related("opened_by", "closed_by"), pk=pk
        )
        if not self.has_view_permission(request, shift):
            raise PermissionDenied
        summary = shift_summary(shift=shift)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Shift report · {shift.merchant.name} · {shift.register}",
            "shift": shift,
            "summary": summary,
            "printed_by": request.user.get_username(),
        }
        return TemplateResponse(request, "admin/payments/shift_report.html", context)
