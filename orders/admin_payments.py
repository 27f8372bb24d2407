"""The order change page shows how the order was paid: each payment, read-only, linked."""

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from orders.admin_actions import order_payments_once

PAYMENTS_FIELDSET = (
    "Payments",
    {
        "fields": ("payments_overview",),
        "description": _(
            "Every attempt at paying this order, newest first. Take a payment or refund one "
            "with the buttons at the top of the page."
        ),
    },
)


class OrderPaymentsAdminMixin:
    """Adds a read-only "Payments" section to the order change page (no form fields)."""

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        return [*fieldsets, PAYMENTS_FIELDSET] if obj is not None else fieldsets

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "payments_overview")

    @admin.display(description=gettext_lazy("Payments"))
    def payments_overview(self, obj):
        payments = order_payments_once(obj)
        if not payments:
            return "No payment yet."
        tz = obj.merchant.tzinfo
        rows = format_html_join(
            "",
            "<tr><td><a href='{}'>{}</a></td><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td>"
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    reverse("admin:payments_payment_change", args=[p.pk]),
                    p.gateway_order_id,
                    p.get_gateway_display(),
                    p.payment_method.name if p.payment_method_id else p.get_method_display(),
                    p.amount,
                    p.currency,
                    p.get_status_display() + (" · amount mismatch" if p.amount_mismatch else ""),
                    p.refunded_amount or "",
                    f"{timezone.localtime(p.paid_at, tz):%Y-%m-%d %H:%M}" if p.paid_at else "",
                    p.change_amount or "",
                    p.tender_reference,
                )
                for p in payments
            ),
        )
        return format_html(
            "<table><thead><tr><th>Payment</th><th>Gateway</th><th>Method</th><th>Amount</th>"
            "<th>Status</th><th>Refunded</th><th>Paid</th><th>Change</th><th>Reference</th>"
            "</tr></thead><tbody>{}</tbody></table><p>Paid {} {} · still due {} {}</p>",
            rows,
            obj.amount_paid,
            obj.currency,
            obj.amount_due,
            obj.currency,
        )
