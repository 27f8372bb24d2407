"""The till in Chromium, as a cashier uses it on the demo shop (Kopi Kita).

Screenshots land in e2e-artifacts/: the till at 1366×768 (a laptop) and 800×1280 (a tablet),
the receipt's print view at 58 mm, and the shift's close.
"""

import json
import re
from decimal import Decimal

import responses
from playwright.sync_api import expect

from e2e.conftest import ARTIFACTS, admin_login
from merchants.actors import SYSTEM
from merchants.models import Merchant
from merchants.money import round_for_cash
from orders.models import Order, OrderItem
from payments.models import Payment, PaymentMethod
from payments.shifts import shift_close, shift_current
from payments.tests import stubs

MM = 96 / 25.4  # CSS pixels per millimetre


def _tap(page, selector: str, taps: list[str]) -> None:
    page.click(selector)
    taps.append(selector)


def _open_till(page, viewport=(1366, 768)):
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    admin_login(page, "cashier")
    page.goto("/till/")
    expect(page.locator(".tile").first).to_be_visible()


def test_a_cashier_rings_up_a_table_splits_it_and_prints_the_receipt(page, demo):
    ARTIFACTS.mkdir(exist_ok=True)
    # The demo leaves yesterday's drawer open on "main": closed before today's shift opens.
    kopi = Merchant.objects.get(slug="kopi-kita")
    yesterday = shift_current(merchant=kopi)
    if yesterday is not None:
        shift_close(shift=yesterday, actor=SYSTEM, counted_cash=Decimal("200000"))
    _open_till(page)
    page.screenshot(path=str(ARTIFACTS / "till-1366x768.png"))

    # The shift: 200.000 in the drawer, 50.000 taken out for ice.
    page.click("#shift-btn")
    expect(page.locator("#shift-state")).to_have_text("No shift open.")
    page.fill("#opening-cash", "200000")
    page.click("#shift-open-btn")
    expect(page.locator("#shift-current")).to_be_visible()
    page.select_option("#cash-kind", "out")
    page.fill("#cash-amount", "50000")
    page.fill("#cash-reason", "ice")
    page.click("#cash-move")
    expect(page.locator("#shift-state")).to_have_text("Recorded.")
    page.keyboard.press("Escape")

    # Table A1: a Kopi Susu Gula Aren, large (modifiers), and a croissant.
    page.select_option("#table", label="Table A1")
    page.click(".tile:has-text('Kopi Susu Gula Aren')")
    expect(page.locator("#modifiers-dialog")).to_be_visible()
    page.check("#modifiers-groups label:has-text('Large') input")
    page.click("#modifiers-add")
    page.click(".tile:has-text('Croissant')")
    expect(page.locator(".staged-line")).to_have_count(2)
    # Priced by the server: 27000 + 20000, the croissant with 10% tax and 5% service.
    expect(page.locator("#totals .grand")).to_have_text("IDR 50,000")
    expect(page.locator(".staged-line").first).to_contain_text("Large")

    page.click("#save-bill")
    expect(page.locator("#bill-head")).to_be_visible()
    order = Order.objects.get(number=page.locator("#bill-number").inner_text().split(" ")[0])
    assert order.table.number == "A1"
    assert order.total_amount == Decimal(50000)  # the quote, to the rupiah

    # The saved bill sends its ticket to the kitchen before anyone pays.
    with page.context.expect_page() as opened:
        page.click("#bill-ticket")
    ticket = opened.value
    expect(ticket.locator(".slip")).to_contain_text("TABLE A1")
    expect(ticket.locator(".slip")).to_contain_text("Kopi Susu Gula Aren")
    ticket.close()

    # A second round: a Nasi Goreng, priced before it is added to the bill.
    page.click(".tile:has-text('Nasi Goreng')")
    expect(page.locator(".staged-line .amount")).to_have_text("IDR 22,500")  # less the 10 %
    expect(page.locator("#add-lines")).to_have_text("Add to bill IDR 25,875")
    expect(page.locator("#totals .grand")).to_have_text("IDR 50,000")  # the bill, unchanged
    page.screenshot(path=str(ARTIFACTS / "till-open-bill-adding.png"))
    page.click("#add-lines")
    expect(page.locator("#lines .line")).to_have_count(3)
    # 25000 less the week's 10%, + 10% tax and 5% service: 25875.
    expect(page.locator("#totals .grand")).to_have_text("IDR 75,875")

    # The Nasi Goreng's guest pays apart: split it to a new bill.
    page.click("#bill-tools")
    nasi = order.items.get(product_name="Nasi Goreng")
    page.fill(f".split-qty[data-line='{nasi.pk}']", "1")
    page.click("#split")
    expect(page.locator("#message")).to_contain_text("New bill")
    expect(page.locator("#lines .line")).to_have_count(2)
    expect(page.locator("#totals .grand")).to_have_text("IDR 50,000")

    # 20000 on the card, the rest in cash with a 50000 note.
    page.click("#pay")
    page.fill("#pay-amount", "20000")
    page.click("#tenders button:has-text('Card (BCA EDC)')")
    expect(page.locator("#pay-due")).to_have_text("IDR 30,000")
    page.click("#quick-cash button:has-text('IDR 50,000')")
    expect(page.locator("#paid-box")).to_be_visible()
    expect(page.locator("#change")).to_have_text("IDR 20,000")
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID
    payments = Payment.objects.filter(reference_id=str(order.pk), status=Payment.Status.PAID)
    assert sorted(p.amount for p in payments) == [Decimal(20000), Decimal(30000)]

    # The receipt's print view on a 58 mm roll: nothing wider than the paper.
    receipt_url = page.locator("#receipt-link").get_attribute("href")
    assert receipt_url == f"/till/orders/{order.pk}/receipt/"
    page.set_viewport_size({"width": round(58 * MM), "height": 900})
    page.goto(receipt_url + "?width=58")
    page.emulate_media(media="print")
    expect(page.locator(".slip")).to_contain_text("NPWP 01.234.567.8-901.000")
    expect(page.locator(".slip")).to_contain_text("Kopi Susu Gula Aren")
    expect(page.locator(".slip")).to_contain_text("+ Large +5.000")
    expect(page.locator(".slip")).to_contain_text("Rp 50.000")
    expect(page.locator(".slip")).to_contain_text("Kembalian")  # the shop's language
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths
    page.screenshot(path=str(ARTIFACTS / "till-receipt-58mm.png"), full_page=True)
    page.goto(f"/till/orders/{order.pk}/kitchen-ticket/?width=58")
    expect(page.locator(".slip")).to_contain_text("TABLE A1")
    expect(page.locator(".slip")).to_contain_text("REPRINT 2")  # sent from the open bill first
    expect(page.locator(".slip")).not_to_contain_text("Rp")
    page.screenshot(path=str(ARTIFACTS / "till-kitchen-ticket-58mm.png"), full_page=True)

    # The shift closes with the cash taken: 200.000 − 50.000 out + 30.000 (a 50.000 note,
    # 20.000 back); the card's 20.000 is not in the drawer.
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/till/")
    page.click("#shift-btn")
    expect(page.locator("#shift-current")).to_be_visible()
    page.fill("#counted-cash", "180000")
    page.click("#shift-close-btn")
    result = page.locator("#shift-result")
    expect(result.locator("dt:has-text('Expected cash') + dd")).to_have_text("IDR 180,000")
    expect(result.locator("dt:has-text('Difference') + dd")).to_have_text("IDR 0")
    expect(page.locator("#shift-state")).to_have_text("No shift open.")
    page.screenshot(path=str(ARTIFACTS / "till-shift-closed.png"))


def test_a_one_item_cash_sale_takes_four_taps(page, demo):
    _open_till(page, viewport=(800, 1280))
    page.screenshot(path=str(ARTIFACTS / "till-800x1280.png"))
    taps: list[str] = []
    _tap(page, ".tile:has-text('Croissant')", taps)
    expect(page.locator("#totals .grand")).to_have_text("IDR 23,000")
    _tap(page, "#pay", taps)
    _tap(page, "#quick-cash button >> nth=0", taps)  # exact cash
    expect(page.locator("#paid-box")).to_be_visible()
    expect(page.locator("#change")).to_have_text("IDR 0")
    order = Order.objects.filter(created_by__username="cashier").latest("pk")
    assert order.status == Order.Status.COMPLETED
    assert order.payment_status == Order.PaymentStatus.PAID
    assert order.rounded_amount == round_for_cash(Decimal(23000), "IDR")
    _tap(page, "#new-sale", taps)
    expect(page.locator(".staged-line")).to_have_count(0)
    assert len(taps) == 4  # docs/till.md states it

    # A barcode scanner types into the search box and presses Enter.
    page.fill("#search", "8991234500017")
    page.press("#search", "Enter")
    expect(page.locator(".staged-line")).to_contain_text("Croissant")
    expect(page.locator("#search")).to_have_value("")
    page.click("#pay")  # at once: Pay waits for the price in flight
    expect(page.locator("#pay-due")).to_have_text("IDR 23,000")
    page.screenshot(path=str(ARTIFACTS / "till-800x1280-pay.png"))


def test_a_midtrans_qris_sale_is_shown_and_polled_until_paid(page, demo):
    kopi = Merchant.objects.get(slug="kopi-kita")
    kopi.midtrans_server_key, kopi.midtrans_client_key = stubs.SERVER_KEY, stubs.CLIENT_KEY
    kopi.save()
    PaymentMethod.objects.create(merchant=kopi, kind="midtrans_qris", name="QRIS Midtrans")
    charged = {}

    def charge(request):
        details = json.loads(request.body)["transaction_details"]
        charged.update(details)
        payload = stubs.qris_charge_payload(details["order_id"], details["gross_amount"])
        return 201, {}, json.dumps(payload)

    def status(request):
        payload = stubs.status_payload(charged["order_id"], "settlement", charged["gross_amount"])
        return 200, {}, json.dumps(payload)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as gateway:
        gateway.add_passthru(re.compile(r"http://(localhost|127\.0\.0\.1)"))
        gateway.add_callback(responses.POST, stubs.core_url("/v2/charge"), callback=charge)
        gateway.add_callback(
            responses.GET, re.compile(re.escape(stubs.CORE_SANDBOX) + r"/v2/.+/status"), status
        )
        _open_till(page)
        page.click(".tile:has-text('Espresso')")
        expect(page.locator("#totals .grand")).to_have_text("IDR 18,000")
        page.click("#pay")
        page.click("#tenders button:has-text('QRIS Midtrans')")
        expect(page.locator("#qris-string")).to_contain_text("00020101021226620014COM.GO-JEK")
        # The code itself, drawn on the page from that string.
        expect(page.locator("#qris-code")).to_be_visible()
        assert page.locator("#qris-code").get_attribute("src").startswith("data:image/gif")
        assert page.evaluate("document.getElementById('qris-code').naturalWidth") > 100
        page.screenshot(path=str(ARTIFACTS / "till-qris.png"))
        expect(page.locator("#paid-box")).to_be_visible(timeout=10_000)
    order = Order.objects.get(number=page.locator("#bill-number").inner_text().split(" ")[0])
    assert order.payment_status == Order.PaymentStatus.PAID
    assert charged["gross_amount"] == 18000


def test_a_cashier_voids_a_line_moves_the_table_and_gives_a_discount(page, demo):
    """The open bill's tools, tapped as a cashier does: a line dropped with its reason, the
    party moved to the garden, a discount above the cashier's limit refused, one within it
    given; each is on the order's history."""
    kopi = Merchant.objects.get(slug="kopi-kita")
    kopi.officer_max_discount_percent = Decimal(10)
    kopi.save(update_fields=["officer_max_discount_percent"])
    _open_till(page)
    page.select_option("#table", label="Table A1")
    page.click(".tile:has-text('Croissant')")
    page.click(".tile:has-text('Nasi Goreng')")
    expect(page.locator(".staged-line")).to_have_count(2)
    page.click("#save-bill")
    expect(page.locator("#bill-head")).to_be_visible()
    order = Order.objects.get(number=page.locator("#bill-number").inner_text().split(" ")[0])

    # The croissant fell on the floor: ✕ on its line, then why.
    page.once("dialog", lambda dialog: dialog.accept("Dropped on the floor"))
    page.click("#lines .line:has-text('Croissant') button")
    expect(page.locator("#message")).to_have_text("Croissant voided.")
    # Nasi Goreng alone: 25000 less the week's 10 %, + 10 % tax and 5 % service.
    expect(page.locator("#totals .grand")).to_have_text("IDR 25,875")

    # The party moves to the garden.
    page.click("#bill-tools")
    page.select_option("#move-table", label="Table T1")
    page.click("#move")
    expect(page.locator("#tools-dialog")).not_to_be_visible()
    expect(page.locator("#message")).to_have_text("Moved to table T1.")

    # 15 % is above what a cashier may give; 10 % is not.
    page.click("#bill-tools")
    expect(page.locator("#discount-limit")).to_contain_text("10%")
    page.select_option("#discount-kind", "percent")
    page.fill("#discount-value", "15")
    page.fill("#discount-reason", "Regular guest")
    page.click("#discount")
    expect(page.locator("#tools-error")).to_contain_text("10")
    page.fill("#discount-value", "10")
    page.click("#discount")
    expect(page.locator("#tools-dialog")).not_to_be_visible()
    expect(page.locator("#totals")).to_contain_text("Discount")
    expect(page.locator("#message")).to_have_text("Discount of IDR 2,250 given.")
    page.screenshot(path=str(ARTIFACTS / "till-bill-tools.png"))

    order.refresh_from_db()
    assert order.table.number == "T1"
    assert order.staff_discount_value == Decimal(10)
    assert order.staff_discount_reason == "Regular guest"
    assert order.total_amount < Decimal(25875)
    croissant = OrderItem.all_lines.get(order=order, product_name="Croissant")
    assert (croissant.void_reason, croissant.voided_by) == ("Dropped on the floor", "cashier")
    kinds = list(order.events.order_by("pk").values_list("kind", flat=True))
    assert kinds[-3:] == ["line_voided", "moved", "discount"]
