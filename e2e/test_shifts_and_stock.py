"""An owner takes stock on the stock take screen, and prints the shift's Z report after the
cashier closes the drawer."""

from decimal import Decimal

from playwright.sync_api import expect

from catalog.models import Product, StockMovement
from catalog.stock import stock_audit_differences
from e2e.conftest import admin_login
from merchants.actors import Actor
from merchants.models import Merchant
from payments.shifts import shift_close, shift_current


def test_owner_counts_the_shelf_in_one_submit(page, demo):
    merchant = Merchant.objects.get(slug="kopi-kita")
    tracked = list(Product.objects.filter(merchant=merchant, track_stock=True).order_by("pk"))
    first = tracked[0]
    admin_login(page, "owner")
    page.goto("/admin/catalog/product/")
    page.click("text=Stock take")
    page.fill(f"#id_counted_{first.pk}", str(first.stock + 4))
    page.fill("#id_reason", "Monday count")
    page.click("input[type=submit]")
    expect(page.locator("ul.messagelist")).to_contain_text("1 product(s) changed")
    first.refresh_from_db()
    movement = StockMovement.objects.filter(product=first).first()
    assert (movement.kind, movement.delta, movement.reason) == ("count", 4, "Monday count")
    assert stock_audit_differences() == []


def test_owner_prints_the_closed_shifts_z_report(page, demo):
    from django.contrib.auth import get_user_model

    merchant = Merchant.objects.get(slug="kopi-kita")
    cashier = get_user_model().objects.get(username="cashier")
    shift = shift_current(merchant=merchant)
    summary = shift_close(
        shift=shift, actor=Actor.staff(cashier), counted_cash=Decimal(shift.opening_cash - 500)
    )
    admin_login(page, "owner")
    page.goto("/admin/orders/order/daily-report/")
    page.locator("#daily-shifts a", has_text="Z report").first.click()
    expect(page.locator(".report-kind")).to_have_text("Z report — shift closed")
    expect(page.locator("#shift-difference")).to_contain_text("500")
    assert summary.shift.difference == Decimal(-500)
