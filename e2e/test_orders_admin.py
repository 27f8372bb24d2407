"""A cashier moves an order through its day from the admin changelist: confirm, then complete."""

from playwright.sync_api import expect

from catalog.models import Product
from e2e.conftest import admin_login
from merchants.actors import SYSTEM
from merchants.models import Merchant
from orders.models import Order, OrderEvent
from orders.services import LineInput, order_create


def run_action(page, order: Order, action: str) -> None:
    page.goto("/admin/orders/order/")
    page.locator(f"#result_list tr:has-text('{order.number}') input.action-select").check()
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")


def test_cashier_confirms_and_completes_an_order(page, demo):
    merchant = Merchant.objects.get(slug="kopi-kita")
    product = Product.objects.get(merchant=merchant, name="Americano")
    order = order_create(
        merchant=merchant, lines=[LineInput(product_id=product.pk, quantity=2)], actor=SYSTEM
    )
    admin_login(page, "cashier")

    run_action(page, order, "confirm_orders")
    expect(page.locator("ul.messagelist")).to_contain_text("1 order(s) confirmed.")
    row = page.locator("#result_list tr", has_text=order.number)
    expect(row.locator(".field-status")).to_have_text("Confirmed")

    run_action(page, order, "complete_orders")
    expect(page.locator("ul.messagelist")).to_contain_text("1 order(s) completed.")
    expect(row.locator(".field-status")).to_have_text("Completed")

    # A second confirm is refused with the reason, and changes nothing.
    run_action(page, order, "confirm_orders")
    expect(page.locator("ul.messagelist .warning")).to_contain_text(order.number)

    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    assert order.confirmed_at is not None
    assert order.completed_at is not None
    moves = list(
        order.events.filter(kind=OrderEvent.Kind.STATUS).values_list(
            "from_status", "to_status", "actor_label"
        )
    )
    assert moves == [("pending", "confirmed", "cashier"), ("confirmed", "completed", "cashier")]
