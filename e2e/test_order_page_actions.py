"""An owner works an order from its own page: takes a payment, then refunds part of it with a
reason through the confirmation page. And every main list fits a 1366×768 screen: its status
and total columns are on screen without scrolling sideways (screenshots in e2e-artifacts/)."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from catalog.models import Product
from e2e.conftest import ARTIFACTS, admin_login
from merchants.actors import SYSTEM
from merchants.models import Merchant
from merchants.money import input_amount
from orders.models import Order, OrderEvent
from orders.services import LineInput, order_create
from payments.models import Payment

SCREENS = ARTIFACTS / "screens"
LAPTOP = {"width": 1366, "height": 768}


def shoot(page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"))


@pytest.fixture
def order(demo):
    merchant = Merchant.objects.get(slug="kopi-kita")
    product = Product.objects.get(merchant=merchant, name="Americano")
    return order_create(
        merchant=merchant, lines=[LineInput(product_id=product.pk, quantity=2)], actor=SYSTEM
    )


def test_take_a_payment_then_refund_part_of_it_with_a_reason(page, order):
    page.set_viewport_size(LAPTOP)
    admin_login(page, "owner")
    page.goto(f"/admin/orders/order/{order.pk}/change/")
    tools = page.locator(".order-actions")
    expect(tools.locator("[data-action=receipt]")).to_have_attribute("target", "_blank")
    expect(tools.locator("[data-action=refund]")).to_have_count(0)  # nothing paid yet
    shoot(page, "order-page-unpaid")

    tools.locator("[data-action=take_payment]").click()
    page.select_option("#id_payment_method", label="Cash")
    # What is due, as a cashier types rupiah: 48000, not 48000.00.
    expect(page.locator("#id_amount")).to_have_value(
        str(input_amount(order.total_amount, order.currency))
    )
    page.click("input[type=submit]")
    expect(page.locator("ul.messagelist")).to_contain_text("The order is paid.")
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID

    page.locator(".order-actions [data-action=refund]").click()
    page.fill("#id_amount", "10000")
    page.fill("#id_reason", "Salah pesan")
    page.click("input[type=submit]")
    expect(page.locator(".refund-question")).to_contain_text("10")
    expect(page.locator(".refund-question")).to_contain_text("because “Salah pesan”?")
    shoot(page, "refund-confirm")
    page.click("input[type=submit].danger")
    expect(page.locator("ul.messagelist")).to_contain_text("Refunded")
    shoot(page, "order-page-refunded")

    payment = Payment.objects.get(reference_id=str(order.pk))
    assert payment.refunded_amount == Decimal(10000)
    assert payment.status == Payment.Status.PARTIALLY_REFUNDED
    event = order.events.get(kind=OrderEvent.Kind.REFUND)
    assert event.payload["reason"] == "Salah pesan"
    assert event.actor_label == "owner"


LISTS = [
    ("owner", "orders", "/admin/orders/order/", ("status", "payment", "total")),
    ("owner", "payments", "/admin/payments/payment/", ("state", "amount_display", "paid")),
    ("owner", "products", "/admin/catalog/product/", ("price", "is_active")),
    ("owner", "customers", "/admin/customers/customer/", ("email", "is_active")),
    (
        "owner2",
        "photo-sessions",
        "/admin/photobox/photosession/",
        ("status", "amount_money", "payment_issue"),
    ),
]


@pytest.mark.parametrize(("username", "name", "url", "columns"), LISTS, ids=[x[1] for x in LISTS])
def test_lists_fit_a_laptop_screen(page, demo, username, name, url, columns):
    page.set_viewport_size(LAPTOP)
    admin_login(page, username)
    page.goto(url)
    expect(page.locator("#result_list")).to_be_visible()
    shoot(page, f"list-{name}")
    # The list scrolls sideways inside its box when it is too wide: every column named must
    # end inside that box, as it is shown.
    shown = page.locator("#changelist .results").bounding_box()
    right = min(shown["x"] + shown["width"], page.evaluate("window.innerWidth"))
    for column in columns:
        box = page.locator(f"#result_list th.column-{column}").bounding_box()
        assert box is not None, column
        assert box["x"] + box["width"] <= right + 1, f"{column} is cut off at 1366 px"
    assert page.locator("#result_list th.column-merchant").count() == 0  # one merchant each
    assert page.locator("#result_list img[src*='icon-no']").count() == 0 or name == "products"
