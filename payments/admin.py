from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from merchants.actors import Actor
from merchants.admin_base import (
    MerchantScopedAdmin,
    MerchantScopedTabularInline,
    ReadOnlyPermissionsMixin,
)
from merchants.errors import DomainError
from merchants.models import Membership
from payments.models import CashMovement, Payment, PaymentEvent, PaymentMethod, Shift
from payments.services import payment_check_status, payment_refund
from payments.shifts import shift_summary

Role = Membership.Role


class PaymentEventInline(ReadOnlyPermissionsMixin, MerchantScopedTabularInline):
    model = PaymentEvent
    fields = ("created_at", "kind", "old_status", "new_status", "signature_valid", "message", "raw")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    ordering = ("created_at", "pk")


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


@admin.register(Payment)
class PaymentAdmin(ReadOnlyPermissionsMixin, MerchantScopedAdmin):
    """Read-only: money and status change only through the actions (which call services)."""

    list_display = (
        "gateway_order_id",
        "merchant",
        "reference_kind",
        "reference_id",
        "gateway",
        "method",
        "amount",
        "status",
        "amount_mismatch",
        "paid_at",
        "created_at",
    )
    list_filter = ("gateway", "status", "method", "amount_mismatch", "created_at", "merchant")
    list_select_related = ("merchant",)
    search_fields = ("gateway_order_id", "gateway_transaction_id", "reference_id")
    # Years and months from the merchant's first and last payment (payment_merchant_recent).
    date_hierarchy = "created_at"
    bounded_date_hierarchy = True
    show_full_result_count = False
    raw_id_fields = ("received_by", "payment_method", "shift")
    inlines = (PaymentEventInline,)
    actions = ("refresh_status", "refund_in_full")
    fieldsets = (
        (None, {"fields": ("merchant", "reference_kind", "reference_id", "status")}),
        (
            "Money",
            {
                "fields": (
                    "amount",
                    "currency",
                    "refunded_amount",
                    "amount_mismatch",
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
            "Gateway",
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

    def has_refund_permission(self, request):
        return self._has_role(request, Role.OWNER)

    @admin.action(description="Refresh status from the gateway")
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
        self.message_user(request, f"Status refreshed; {changed} payment(s) changed.")

    @admin.action(description="Refund what is left (owners)", permissions=["refund"])
    def refund_in_full(self, request, queryset):
        done = 0
        actor = Actor.staff(request.user)
        for payment in queryset.select_related("merchant"):
            if not self._has_role(request, Role.OWNER, payment):
                self.message_user(
                    request,
                    f"{payment.gateway_order_id}: only an owner of {payment.merchant} can refund.",
                    messages.ERROR,
                )
                continue
            try:
                payment_refund(
                    payment=payment,
                    reason=f"Refunded in the admin by {request.user.get_username()}",
                    actor=actor,
                )
            except DomainError as error:
                self.message_user(
                    request, f"{payment.gateway_order_id}: {error.message}", messages.ERROR
                )
                continue
            done += 1
        if done:
            self.message_user(request, f"{done} payment(s) refunded.")


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

    @admin.display(description="Report")
    def report_link(self, shift):
        url = reverse("admin:payments_shift_report", args=[shift.pk])
        return format_html('<a href="{}">{} report</a>', url, "Z" if shift.closed_at else "X")

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
