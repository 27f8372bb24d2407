import json
import re
from collections import Counter

import responses
from django.core import mail
from playwright.sync_api import expect

from catalog.models import Product
from merchants.actors import Actor
from merchants.models import Merchant
from orders.models import Order
from orders.services import LineInput, order_create
from payments.tests import stubs

# snap.js stands in for Midtrans' script: it renders into the embed container and reports
# what it was given, so the page's wiring is what is tested.
FAKE_SNAP_JS = """
window.snap = { embed: function (token, options) {
  var box = document.getElementById(options.embedId);
  box.setAttribute("data-token", token);
  box.textContent = "Snap embedded";
}};
"""


def test_customer_signs_in_and_sees_orders_by_payment_status(page, demo):
    customer = Order.objects.filter(payment_status="paid", customer__isnull=False)[0].customer
    order_create(
        merchant=customer.merchant,
        lines=[
            LineInput(
                product_id=Product.objects.filter(merchant=customer.merchant)[0].pk, quantity=1
            )
        ],
        actor=Actor.of_customer(customer),
        customer=customer,
    )
    counts = Counter(customer.orders.values_list("payment_status", flat=True))
    page.goto("/demo/order-history")
    page.fill("#email", customer.email)
    page.click("#request-otp")
    expect(page.locator("#out")).to_contain_text("202")
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    page.fill("#otp", code)
    page.click("#verify-otp")

    expect(page.locator("#who")).to_have_text("Signed in.")
    expect(page.locator(".group[data-status=paid] h3")).to_have_text(f"Paid ({counts['paid']})")
    unpaid = page.locator(".group[data-status=unpaid]")
    expect(unpaid.locator(".order")).to_have_count(counts["unpaid"])
    expect(unpaid).to_contain_text("Pay with Snap")
    expect(page.locator(".group")).to_have_count(len(counts))

    page.click("#filters button[data-status=paid]")
    expect(page.locator(".group")).to_have_count(1)
    expect(page.locator(".group[data-status=paid] .order")).to_have_count(counts["paid"])
    page.click("#filters button[data-status=refunded]")
    expect(page.locator("#list")).to_contain_text("No orders with this payment status.")


def test_snap_embedded_without_keys_says_what_to_configure(page, demo):
    page.goto("/demo/snap-embedded")
    expect(page.locator("#setup")).to_contain_text("Merchants → Kopi Kita → Midtrans")
    expect(page.locator("#create")).to_have_count(0)


def test_snap_embedded_pays_a_test_order(page, demo):
    Merchant.objects.filter(slug="kopi-kita").update(
        midtrans_server_key=stubs.SERVER_KEY, midtrans_client_key=stubs.CLIENT_KEY
    )
    page.route(
        "https://app.sandbox.midtrans.com/snap/snap.js",
        lambda route: route.fulfill(
            status=200, content_type="application/javascript", body=FAKE_SNAP_JS
        ),
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as gateway:
        gateway.add_passthru(re.compile(r"http://(localhost|127\.0\.0\.1)"))
        answer = {"token": stubs.SNAP_TOKEN, "redirect_url": "https://example.test/snap"}
        gateway.add(responses.POST, stubs.snap_url(), json=answer, status=201)
        page.goto("/demo/snap-embedded")
        page.click("#create")
        expect(page.locator("#snap-container")).to_have_text("Snap embedded")
        expect(page.locator("#snap-container")).to_have_attribute("data-token", stubs.SNAP_TOKEN)
        sent = json.loads(gateway.calls[0].request.body)

    order = Order.objects.get(notes="Test order from /demo/snap-embedded")
    assert order.payment_status == "pending"
    assert sent["transaction_details"]["gross_amount"] == int(order.total_amount)
    expect(page.locator("#order h2")).to_have_text(f"Order {order.number}")
    script = page.locator("script[data-client-key]")
    expect(script).to_have_attribute("data-client-key", stubs.CLIENT_KEY)
