"""The order change page acts: confirm, complete, cancel (with a reason), take a payment, refund
(with a confirmation page), print the receipt and the kitchen ticket.

Each action is a small page under the order's admin URL that calls the same service as the API,
with the same roles: officers move orders and take payments, owners refund. Only the actions the
order's state allows are offered (`order_admin_actions`); a POST that arrives anyway is answered
by the service's own error, shown as a message on the order page.
"""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from merchants.actors import Actor
from merchants.errors import DomainError
from merchants.models import Membership
from merchants.money import format_money, input_amount
from orders.models import Order
from orders.payments import order_payment_refund
from orders.selectors import order_payment_list
from orders.services import order_cancel, order_complete, order_confirm
from orders.tenders import order_cash_due, order_payment_add
from payments.models import Payment, PaymentMethod

Role = Membership.Role

RECEIPT_PATH = "/till/orders/{pk}/receipt/"
KITCHEN_TICKET_PATH = "/till/orders/{pk}/kitchen-ticket/"


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=255,
        help_text=_("Kept in the order's history: a guest left, a wrong order, out of stock."),
    )


class TenderForm(forms.Form):
    payment_method = forms.ModelChoiceField(
        label=_("Paid by"), queryset=PaymentMethod.objects.none(), empty_label=None
    )
    amount = forms.DecimalField(
        label=_("Amount"),
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
        help_text=_(
            "Cash: what the customer hands over (the change is shown after). Other methods: "
            "at most what is due."
        ),
    )
    reference = forms.CharField(
        label=_("Reference"),
        required=False,
        max_length=100,
        help_text=_("Optional: the card slip or transfer number."),
    )

    def __init__(self, *args, order: Order, **kwargs):
        super().__init__(*args, **kwargs)
        methods = PaymentMethod.objects.filter(merchant_id=order.merchant_id, is_active=True)
        self.fields["payment_method"].queryset = methods.order_by("sort_order", "name", "pk")


class RefundForm(forms.Form):
    payment = forms.TypedChoiceField(label=_("Payment"), coerce=int)
    amount = forms.DecimalField(
        label=_("Amount"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("Kept with the payment and in the order's history."),
    )

    def __init__(self, *args, payments: list[Payment], **kwargs):
        super().__init__(*args, **kwargs)
        self.payments = {p.pk: p for p in payments}
        self.fields["payment"].choices = [
            (
                p.pk,
                gettext("%(payment)s · %(method)s · paid %(paid)s · refundable %(left)s")
                % {
                    "payment": p.gateway_order_id,
                    "method": _method_name(p),
                    "paid": format_money(p.amount, p.currency),
                    "left": format_money(p.refundable_amount, p.currency),
                },
            )
            for p in payments
        ]

    def clean(self):
        cleaned = super().clean()
        payment = self.payments.get(cleaned.get("payment"))
        amount = cleaned.get("amount")
        if payment is not None and amount is not None and amount > payment.refundable_amount:
            self.add_error(
                "amount",
                gettext("At most %(left)s of this payment can still be refunded.")
                % {"left": format_money(payment.refundable_amount, payment.currency)},
            )
        cleaned["payment_obj"] = payment
        return cleaned


def _method_name(payment: Payment) -> str:
    return (
        payment.payment_method.name if payment.payment_method_id else payment.get_method_display()
    )


def order_payments_once(order: Order) -> list[Payment]:
    """The order's payments, read once per page (the buttons and the Payments section)."""
    if not hasattr(order, "_admin_payments"):
        order._admin_payments = order_payment_list(order=order)
    return order._admin_payments


def refundable_payments(order: Order) -> list[Payment]:
    return [p for p in order_payments_once(order) if p.refundable_amount > 0]


class OrderActionsAdminMixin:
    """Adds the action pages to OrderAdmin and the list of buttons to its change page."""

    def get_urls(self):
        def view(func, name):
            return path(
                f"<path:object_id>/{name}/",
                self.admin_site.admin_view(func),
                name=f"orders_order_{name.replace('-', '_')}",
            )

        return [
            view(self.confirm_view, "confirm"),
            view(self.complete_view, "complete"),
            view(self.cancel_view, "cancel"),
            view(self.take_payment_view, "take-payment"),
            view(self.refund_view, "refund"),
            *super().get_urls(),
        ]

    # --- what the page offers --------------------------------------------------------------

    def can_refund(self, request, order: Order) -> bool:
        return self._has_role(request, Role.OWNER, order)

    def order_admin_actions(self, request, order: Order) -> list[dict]:
        """The buttons for this order as it stands, for this user."""
        actions = []
        can_move = self.has_change_permission(request, order)
        allowed = Order.ALLOWED_TRANSITIONS[order.status]

        def add(name, label, *, method="get", url=None, target=None, style=""):
            actions.append(
                {
                    "name": name,
                    "label": label,
                    "method": method,
                    "url": url or reverse(f"admin:orders_order_{name}", args=[order.pk]),
                    "target": target,
                    "style": style,
                }
            )

        if can_move and Order.Status.CONFIRMED in allowed:
            add("confirm", _("Confirm"), method="post", style="default")
        if can_move and Order.Status.COMPLETED in allowed:
            add("complete", _("Complete"), method="post", style="default")
        if can_move and order.amount_due > 0:
            add("take_payment", _("Take a payment"), style="default")
        if self.can_refund(request, order) and refundable_payments(order):
            add("refund", _("Refund"))
        if can_move and Order.Status.CANCELLED in allowed:
            add("cancel", _("Cancel order"), style="danger")
        add("receipt", _("Print receipt"), url=RECEIPT_PATH.format(pk=order.pk), target="_blank")
        if order.status != Order.Status.CANCELLED:
            add(
                "kitchen_ticket",
                _("Print kitchen ticket"),
                url=KITCHEN_TICKET_PATH.format(pk=order.pk),
                target="_blank",
            )
        return actions

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The order the change view has loaded: no second read for the buttons.
        if obj is not None:
            context["order_actions"] = self.order_admin_actions(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- the pages -------------------------------------------------------------------------

    def _order_for(self, request, object_id, *, owner_only: bool = False) -> Order:
        order = self.get_object(request, object_id)
        if order is None:
            raise Http404(gettext("No such order among your merchants."))
        if owner_only and not self.can_refund(request, order):
            raise PermissionDenied(gettext("Only an owner of this merchant can refund."))
        if not self.has_change_permission(request, order):
            raise PermissionDenied(gettext("You may look at this order but not change it."))
        return order

    def _back(self, order: Order):
        return redirect(reverse("admin:orders_order_change", args=[order.pk]))

    def _call(self, request, order: Order, call, success: str):
        """Run one service; its refusal becomes an error message. Back to the order page."""
        try:
            call(Actor.staff(request.user))
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            self.message_user(request, success, messages.SUCCESS)
        return self._back(order)

    def _page(self, request, order: Order, template: str, title: str, **context):
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": order,
                "title": title,
                "order": order,
                "change_url": reverse("admin:orders_order_change", args=[order.pk]),
                **context,
            },
        )

    def _form_page(self, request, order: Order, title: str, form, submit_label: str, **context):
        return self._page(
            request,
            order,
            "admin/orders/order/action_form.html",
            title,
            form=form,
            submit_label=submit_label,
            **context,
        )

    def confirm_view(self, request, object_id):
        return self._move(request, object_id, order_confirm, gettext("Order %(number)s confirmed."))

    def complete_view(self, request, object_id):
        return self._move(
            request, object_id, order_complete, gettext("Order %(number)s completed.")
        )

    def _move(self, request, object_id, service, success: str):
        """A one-click move (confirm, complete): POST only, nothing to ask."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        order = self._order_for(request, object_id)
        return self._call(
            request,
            order,
            lambda actor: service(order=order, actor=actor),
            success % {"number": order.number},
        )

    def cancel_view(self, request, object_id):
        order = self._order_for(request, object_id)
        form = CancelForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            reason = form.cleaned_data["reason"]
            return self._call(
                request,
                order,
                lambda actor: order_cancel(order=order, actor=actor, reason=reason),
                gettext("Order %(number)s cancelled; its stock is back on the shelf.")
                % {"number": order.number},
            )
        title = gettext("Cancel order %(number)s") % {"number": order.number}
        return self._form_page(
            request, order, title, form, gettext("Cancel the order"), danger=True
        )

    def take_payment_view(self, request, object_id):
        order = self._order_for(request, object_id)
        form = TenderForm(request.POST or None, order=order)
        methods = list(form.fields["payment_method"].queryset)
        if not form.is_bound and methods:
            first = methods[0]
            due = order_cash_due(order) if first.is_cash else order.amount_due
            due = input_amount(due, order.currency)  # 46000, not 46000.00
            form.initial = {"payment_method": first.pk, "amount": due}
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                result = order_payment_add(
                    order=order,
                    payment_method=data["payment_method"],
                    actor=Actor.staff(request.user),
                    amount=data["amount"],
                    reference=data["reference"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(request, self._tender_message(result), messages.SUCCESS)
                return self._back(order)
        title = gettext("Take a payment for order %(number)s") % {"number": order.number}
        return self._form_page(
            request,
            order,
            title,
            form,
            gettext("Take the payment"),
            summary=gettext("Total %(total)s · paid %(paid)s · due %(due)s")
            % {
                "total": format_money(order.total_amount, order.currency),
                "paid": format_money(order.amount_paid, order.currency),
                "due": format_money(order.amount_due, order.currency),
            },
            no_methods=not methods,
        )

    @staticmethod
    def _tender_message(result) -> str:
        payment, order = result.payment, result.order
        if payment.status == Payment.Status.PENDING:
            return gettext(
                "Charge %(payment)s of %(amount)s started; it is paid once the gateway says so."
            ) % {
                "payment": payment.gateway_order_id,
                "amount": format_money(payment.amount, payment.currency),
            }
        text = gettext("%(amount)s taken by %(method)s.") % {
            "amount": format_money(payment.amount, payment.currency),
            "method": _method_name(payment),
        }
        if result.change > 0:
            text += " " + gettext("Change: %(change)s.") % {
                "change": format_money(result.change, order.currency)
            }
        if order.amount_due > 0:
            text += " " + gettext("Still due: %(due)s.") % {
                "due": format_money(order.amount_due, order.currency)
            }
        else:
            text += " " + gettext("The order is paid.")
        return text

    def refund_view(self, request, object_id):
        """Choose the payment, the amount and the reason; then a confirmation page; then the
        refund (owners only, as in the API)."""
        order = self._order_for(request, object_id, owner_only=True)
        payments = refundable_payments(order)
        if not payments:
            self.message_user(
                request,
                gettext("Order %(number)s has nothing left to refund.") % {"number": order.number},
                messages.WARNING,
            )
            return self._back(order)
        form = RefundForm(request.POST or None, payments=payments)
        if not form.is_bound:
            left = input_amount(payments[0].refundable_amount, payments[0].currency)
            form.initial = {"payment": payments[0].pk, "amount": left}
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            payment = data["payment_obj"]
            if request.POST.get("confirmed") == "yes":
                return self._refund(request, order, payment, data)
            return self._page(
                request,
                order,
                "admin/orders/order/refund_confirm.html",
                gettext("Confirm the refund"),
                form=form,
                question=gettext("Refund %(amount)s of payment %(payment)s because “%(reason)s”?")
                % {
                    "amount": format_money(data["amount"], payment.currency),
                    "payment": payment.gateway_order_id,
                    "reason": data["reason"],
                },
                payment=payment,
            )
        title = gettext("Refund order %(number)s") % {"number": order.number}
        return self._form_page(request, order, title, form, gettext("Next: confirm"))

    def _refund(self, request, order: Order, payment: Payment, data: dict):
        amount = data["amount"]
        return self._call(
            request,
            order,
            lambda actor: order_payment_refund(
                order=order,
                actor=actor,
                reason=data["reason"],
                amount=amount,
                payment_id=payment.pk,
            ),
            gettext("Refunded %(amount)s of payment %(payment)s.")
            % {
                "amount": format_money(amount, payment.currency),
                "payment": payment.gateway_order_id,
            },
        )
