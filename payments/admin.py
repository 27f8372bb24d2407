from django.contrib import admin, messages
from django.utils.translation import gettext, gettext_lazy

from merchants.actors import Actor
from merchants.admin_base import (
    MerchantScopedAdmin,
    MerchantScopedTabularInline,
    ReadOnlyPermissionsMixin,
)
from merchants.errors import DomainError
from merchants.models import Membership
from payments.models import Payment, PaymentEvent, PaymentMethod
from payments.services import payment_check_status, payment_refund

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
    raw_id_fields = ("received_by", "payment_method")
    inlines = (PaymentEventInline,)
    actions = ("refresh_status", "refund_in_full")
    fieldsets = (
        (None, {"fields": ("merchant", "reference_kind", "reference_id", "status")}),
        (
            gettext_lazy("Money"),
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

    def has_refund_permission(self, request):
        return self._has_role(request, Role.OWNER)

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

    @admin.action(description=gettext_lazy("Refund what is left (owners)"), permissions=["refund"])
    def refund_in_full(self, request, queryset):
        done = 0
        actor = Actor.staff(request.user)
        for payment in queryset.select_related("merchant"):
            if not self._has_role(request, Role.OWNER, payment):
                self.message_user(
                    request,
                    gettext("%(gateway_order_id)s: only an owner of %(merchant)s can refund.")
                    % {"gateway_order_id": payment.gateway_order_id, "merchant": payment.merchant},
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
            self.message_user(request, gettext("%(done)s payment(s) refunded.") % {"done": done})
