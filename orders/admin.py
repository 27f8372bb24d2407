from django.contrib import admin, messages

from merchants.admin_base import MerchantScopedAdmin, MerchantScopedTabularInline
from merchants.errors import DomainError
from merchants.models import Membership
from orders.admin_payments import OrderPaymentsAdminMixin
from orders.models import Order, OrderEvent, OrderItem
from orders.services import Actor, order_cancel, order_complete, order_confirm

Role = Membership.Role


class ReadOnlyInline(MerchantScopedTabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OrderItemInline(ReadOnlyInline):
    model = OrderItem
    fields = (
        "product_name",
        "quantity",
        "base_price",
        "final_price",
        "promotion_name",
        "line_subtotal_amount",
        "tax_amount",
        "service_charge_amount",
        "notes",
    )
    readonly_fields = fields


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ("created_at", "kind", "from_status", "to_status", "actor_label", "payload")
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(OrderPaymentsAdminMixin, MerchantScopedAdmin):
    list_display = (
        "number",
        "merchant",
        "created_at",
        "order_type",
        "table",
        "customer",
        "status",
        "payment_status",
        "total_amount",
    )
    list_filter = ("status", "payment_status", "order_type", "merchant", "business_date")
    list_select_related = ("merchant", "table", "customer")
    search_fields = ("number", "customer__email", "customer__name")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    show_full_result_count = False
    list_per_page = 50
    inlines = (OrderItemInline, OrderEventInline)
    actions = ("confirm_orders", "complete_orders", "cancel_orders")
    fieldsets = (
        (None, {"fields": ("number", "merchant", "status", "payment_status", "business_date")}),
        (
            "Who and where",
            {"fields": ("order_type", "table", "guest_count", "customer", "created_by", "notes")},
        ),
        (
            "Money",
            {
                "fields": (
                    "currency",
                    "subtotal_amount",
                    "discount_amount",
                    "tax_amount",
                    "service_charge_amount",
                    "total_amount",
                    "rounded_amount",
                )
            },
        ),
        (
            "Times",
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
        "created_at",
        "confirmed_at",
        "completed_at",
        "cancelled_at",
        "paid_at",
    )
    # Officers run the day: they may move orders (only notes are editable on the form).
    change_role = Role.OFFICER

    def has_add_permission(self, request, obj=None):
        return False  # orders are rung up at the counter (API), priced by the server

    def has_delete_permission(self, request, obj=None):
        return False  # cancel instead; the history stays

    def _run(self, request, queryset, service, verb: str):
        done, failed = 0, []
        actor = Actor.staff(request.user)
        for order in queryset:
            try:
                service(order=order, actor=actor)
                done += 1
            except DomainError as error:
                failed.append(error.message)
        if done:
            self.message_user(request, f"{done} order(s) {verb}.", messages.SUCCESS)
        for message in failed:
            self.message_user(request, message, messages.WARNING)

    @admin.action(description="Confirm selected orders")
    def confirm_orders(self, request, queryset):
        self._run(request, queryset, order_confirm, "confirmed")

    @admin.action(description="Complete selected orders")
    def complete_orders(self, request, queryset):
        self._run(request, queryset, order_complete, "completed")

    @admin.action(description="Cancel selected orders (stock goes back)")
    def cancel_orders(self, request, queryset):
        self._run(request, queryset, order_cancel, "cancelled")
