"""The till: the cashier's screen and what it prints. Staff pages with the admin's session.

The page itself only lays out the menu; its script (static/till/till.js) prices, creates and
pays orders through the staff API with this session (CSRF header, `X-Merchant`), so the till
has no business rule of its own.
"""

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from merchants.actors import Actor
from merchants.dashboard import AdminTenant, admin_tenant
from merchants.i18n import merchant_language
from merchants.models import Membership
from merchants.tenancy import scope_to_merchant
from orders.models import Order
from orders.selectors import order_detail_get
from orders.till.menu import till_menu
from orders.till.printing import (
    kitchen_ticket_print,
    kitchen_ticket_text,
    paper_width,
    receipt_data,
    receipt_text,
)


class _ChooseMerchant(Exception):
    def __init__(self, tenant: AdminTenant):
        self.tenant = tenant


def till_page(view):
    """Session login (anonymous → the admin login, back here after), officers and owners of
    the merchant picked as in the admin (`?merchant=<slug>`, remembered)."""

    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        tenant = admin_tenant(request)
        if not tenant.choices:
            raise PermissionDenied(_("Your account is not a member of any active merchant."))
        if tenant.merchant is None or (tenant.can_choose and request.GET.get("choose")):
            return render(request, "till/choose_merchant.html", {"tenant": tenant}, status=200)
        if not tenant.has_role(Membership.Role.OFFICER):
            raise PermissionDenied(_("Only officers and owners use the till."))
        request.till_tenant = tenant
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return never_cache(require_GET(wrapped))


def _order(request, pk: int) -> Order:
    merchant = request.till_tenant.merchant
    if not scope_to_merchant(Order.objects.filter(pk=pk), merchant).exists():
        raise Http404("No such order.")
    return order_detail_get(pk=pk)


def till_strings() -> dict[str, str]:
    """The words the page's script shows, translated here (the script has no catalogue)."""
    return {
        "pay": _("Pay"),
        "subtotal": _("Subtotal"),
        "discount": _("Discount"),
        "tax": _("Tax"),
        "tax_included": _("Tax (included)"),
        "service": pgettext("service charge", "Service"),
        "total": _("Total"),
        "paid": pgettext("amount already paid", "Paid"),
        "status_paid": _("Paid"),
        "due": _("Due"),
        "table": _("Table"),
        "void": _("Void"),
        "void_reason": _("Why is %s voided?"),
        "choose": _("choose %s"),
        "optional": _("optional"),
        "no_match": _("No product with the code %s."),
        "saved": _("Bill %s saved."),
        "split_done": _("New bill %s made."),
        "voided": _("%s voided."),
        "moved": _("Moved to table %s."),
        "discount_given": _("Discount of %s given."),
        "discount_removed": _("Discount removed."),
        "no_bills": _("No open bills."),
        "limit": _("up to %s"),
        "exact_cash": _("Exact cash"),
        "empty": _("Tap a product first."),
        "add_first": _("Add the new lines to the bill first."),
        "add_to_bill": _("Add to bill"),
        "shift_open": _("Shift open, opening cash %s."),
        "shift_closed": _("No shift open."),
        "recorded": _("Recorded."),
        "expected_cash": _("Expected cash"),
        "counted_cash": _("Counted cash"),
        "difference": _("Difference"),
        "status_pending": _("Pending"),
        "status_confirmed": _("Confirmed"),
        "status_completed": _("Completed"),
        "status_cancelled": _("Cancelled"),
    }


@ensure_csrf_cookie  # the page's script sends it back in X-CSRFToken
@till_page
def till(request):
    tenant = request.till_tenant
    role = Membership.Role.OWNER if tenant.is_operator else tenant.role
    context = {
        "tenant": tenant,
        "merchant": tenant.merchant,
        "menu": till_menu(merchant=tenant.merchant, role=role),
        "strings": till_strings(),
    }
    return render(request, "till/till.html", context)


@till_page
def receipt(request, pk: int):
    """The printable receipt (`?width=58|80`), or plain text (`?format=text`), in the shop's
    language: it is the customer's paper, like the emailed receipt, whatever the cashier reads."""
    order = _order(request, pk)
    width = paper_width(request.GET.get("width"))
    with translation.override(merchant_language(order.merchant)):
        data = receipt_data(order=order)
        if request.GET.get("format") == "text":
            return HttpResponse(
                receipt_text(data, width=width), content_type="text/plain; charset=utf-8"
            )
        context = {"receipt": data, "width": width, "paper_css": f"till/paper-{width}.css"}
        return render(request, "till/receipt.html", context)


@till_page
def kitchen_ticket(request, pk: int):
    """What the kitchen needs (no prices); every print is recorded, later ones say REPRINT."""
    order = _order(request, pk)
    width = paper_width(request.GET.get("width"))
    ticket = kitchen_ticket_print(order=order, actor=Actor.staff(request.user))
    if request.GET.get("format") == "text":
        return HttpResponse(
            kitchen_ticket_text(ticket, width=width), content_type="text/plain; charset=utf-8"
        )
    context = {"ticket": ticket, "width": width, "paper_css": f"till/paper-{width}.css"}
    return render(request, "till/kitchen_ticket.html", context)
