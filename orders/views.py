"""Demo pages (DEMO_PAGES_ENABLED): pay a test order in Snap embedded mode, and a customer's
order history by payment status. They call the same services and API as the real clients."""

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from catalog.models import Product
from merchants.actors import Actor
from merchants.csp import csp_extend
from merchants.demo import demo_merchant, require_demo_pages
from merchants.errors import DomainError
from merchants.models import Merchant
from orders.models import Order
from orders.payments import order_payment_check, order_payment_start
from orders.services import LineInput, order_create

DEMO_ACTOR = Actor(label=gettext_lazy("demo page"))
SESSION_KEY = "demo_snap_orders"
SNAP_JS = {
    False: "https://app.sandbox.midtrans.com/snap/snap.js",
    True: "https://app.midtrans.com/snap/snap.js",
}


def _demo_merchant(request) -> Merchant | None:
    return demo_merchant(request.GET.get("merchant"))


def _missing_setup(merchant: Merchant | None) -> list[str]:
    if merchant is None:
        return ["There is no shop yet: run `python manage.py seed_demo`."]
    missing = []
    if not merchant.has_midtrans_server_key:
        missing.append("the Midtrans server key (sandbox keys start with SB-Mid-server-)")
    if not merchant.midtrans_client_key:
        missing.append("the Midtrans client key (sandbox keys start with SB-Mid-client-)")
    return missing


def _test_lines(merchant: Merchant) -> list[LineInput]:
    # Untracked products first, so trying the demo never eats the stock of the real shop; none
    # that needs a choice made (a size), which a test order does not make.
    products = Product.objects.filter(merchant=merchant, is_active=True, is_available=True).exclude(
        modifier_links__group__min_select__gt=0, modifier_links__group__is_active=True
    )
    return [
        LineInput(product_id=p.pk, quantity=1) for p in products.order_by("track_stock", "pk")[:2]
    ]


# What Snap needs besides our own origin: its script, the payment page it frames, its calls.
MIDTRANS_SOURCES = ["https://app.midtrans.com", "https://app.sandbox.midtrans.com"]
SNAP_CSP = {
    "script-src": MIDTRANS_SOURCES,
    "frame-src": MIDTRANS_SOURCES,
    "connect-src": ["https://*.midtrans.com"],
    "style-src": MIDTRANS_SOURCES,
}


@never_cache
@require_http_methods(["GET", "POST"])
@csp_extend(SNAP_CSP)
def snap_embedded_demo(request):
    """GET explains and offers a button; POST `create` rings up a test order and opens Snap
    inside the page; POST `check` asks Midtrans where that order's payment stands."""
    require_demo_pages()
    merchant = _demo_merchant(request)
    missing = _missing_setup(merchant)
    context = {
        "merchant": merchant,
        "missing": missing,
        "client_key": merchant.midtrans_client_key if merchant else "",
        "is_production": bool(merchant and merchant.midtrans_is_production),
        "snap_js_url": SNAP_JS[bool(merchant and merchant.midtrans_is_production)],
        "notification_url": f"{settings.SITE_URL}/api/v1/payments/midtrans/notification",
    }
    if request.method == "POST" and not missing:
        try:
            context.update(_demo_action(request, merchant))
        except DomainError as error:
            context["error"] = error.message
    return render(request, "orders/demo_snap_embedded.html", context)


def _demo_action(request, merchant: Merchant) -> dict:
    mine = request.session.get(SESSION_KEY, [])
    if request.POST.get("action") == "check":
        order_id = request.POST.get("order_id", "")
        if not order_id.isdigit() or int(order_id) not in mine:
            return {"error": "Only orders created on this page, in this browser, are checked here."}
        order = Order.objects.select_related("merchant").get(pk=int(order_id))
        payment = order_payment_check(order=order, actor=DEMO_ACTOR)
        order.refresh_from_db()
        return {"order": order, "payment": payment, "items": order.items.all(), "checked": True}

    lines = _test_lines(merchant)
    if not lines:
        return {"error": f"{merchant.name} has no product for sale to put on a test order."}
    order = order_create(
        merchant=merchant,
        lines=lines,
        actor=DEMO_ACTOR,
        order_type=Order.Type.TAKEAWAY,
        notes="Test order from /demo/snap-embedded",
    )
    request.session[SESSION_KEY] = [*mine[-19:], order.pk]
    started = order_payment_start(order=order, actor=DEMO_ACTOR)
    order.refresh_from_db()
    return {"order": order, "payment": started.payment, "items": list(order.items.all())}


@never_cache
def order_history_demo(request):
    """A customer signs in (one-time code) and sees their orders by payment status."""
    require_demo_pages()
    merchants = Merchant.objects.filter(is_active=True).order_by("name")
    merchant = _demo_merchant(request)
    context = {
        "merchants": merchants,
        "default_merchant": merchant.slug if merchant else "",
        "payment_statuses": Order.PaymentStatus.choices,
        "console_email": settings.EMAIL_BACKEND.endswith("console.EmailBackend"),
    }
    return render(request, "orders/demo_order_history.html", context)
