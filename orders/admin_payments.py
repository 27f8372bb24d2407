"""The order change page shows how the order was paid: each payment, read-only, linked."""

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from merchants.admin_display import AMOUNT_MISMATCH, money
from orders.admin_actions import order_payments_once

PAYMENTS_FIELDSET = (
    _("Payments"),
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
            return _("No payment yet.")
        tz = obj.merchant.tzinfo
        rows = format_html_join(
            "",
            "<tr><td><a href='{}'>{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    reverse("admin:payments_payment_change", args=[p.pk]),
                    p.gateway_order_id,
                    p.get_gateway_display(),
                    p.payment_method.name if p.payment_method_id else p.get_method_display(),
                    money(p.amount, p.currency),
                    p.get_status_display()
                    + (" · " + str(AMOUNT_MISMATCH) if p.amount_mismatch else ""),
                    money(p.refunded_amount, p.currency) if p.refunded_amount else "",
                    f"{timezone.localtime(p.paid_at, tz):%Y-%m-%d %H:%M}" if p.paid_at else "",
                    money(p.change_amount, p.currency) if p.change_amount else "",
                    p.tender_reference,
                )
                for p in payments
            ),
        )
        headings = format_html_join(
            "",
            "<th>{}</th>",
            (
                (label,)
                for label in (
                    _("Payment"),
                    _("Gateway"),
                    _("Method"),
                    _("Amount"),
                    _("Status"),
                    _("Refunded"),
                    _("Paid"),
                    pgettext_lazy("cash handed back", "Change"),
                    _("Reference"),
                )
            ),
        )
        return format_html(
            "<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table><p>{}</p>",
            headings,
            rows,
            _("Paid %(paid)s · still due %(due)s")
            % {
                "paid": money(obj.amount_paid, obj.currency),
                "due": money(obj.amount_due, obj.currency),
            },
        )

    @admin.display(description=_("Amount due"))
    def amount_due_money(self, obj):
        return money(obj.amount_due, obj.currency)
