import pytest

from orders.models import Order
from orders.tests.factories import OrderFactory
from payments.models import Payment
from payments.tests import stubs

pytestmark = pytest.mark.django_db
SNAP = "/demo/snap-embedded"
HISTORY = "/demo/order-history"


@pytest.fixture
def demo_on(settings, merchant):
    settings.DEMO_PAGES_ENABLED = True
    settings.DEFAULT_MERCHANT = merchant.slug


def test_pages_are_off_unless_enabled(client, settings):
    settings.DEMO_PAGES_ENABLED = False
    assert client.get(SNAP).status_code == 404
    assert client.get(HISTORY).status_code == 404


def test_without_keys_the_page_says_what_to_configure(client, demo_on, merchant, kopi):
    page = client.get(SNAP)
    assert page.status_code == 200
    assert "Configure Midtrans first" in page.text
    assert "Midtrans server key" in page.text
    assert "Midtrans client key" in page.text
    assert f"Merchants → {merchant.name} → Midtrans" in page.text
    assert 'id="create"' not in page.text
    assert client.post(SNAP, {"action": "create"}).status_code == 200
    assert not Order.objects.exists()


def test_creates_a_test_order_and_embeds_snap_with_the_client_key(
    gw, client, demo_on, pay_merchant, kopi
):
    stubs.stub_snap_create()
    page = client.post(SNAP, {"action": "create"})
    assert page.status_code == 200
    order = Order.objects.get()
    assert order.notes == "Test order from /demo/snap-embedded"
    assert order.payment_status == "pending"
    payment = Payment.objects.get()
    assert payment.reference_id == str(order.pk)
    assert f"Order {order.number}" in page.text
    assert (
        '<script src="https://app.sandbox.midtrans.com/snap/snap.js" '
        f'data-client-key="{stubs.CLIENT_KEY}"></script>'
    ) in page.text
    assert f'"{stubs.SNAP_TOKEN}"' in page.text
    assert "window.snap.embed(token" in page.text
    assert stubs.SERVER_KEY not in page.text

    stubs.stub_status(payment.gateway_order_id, "settlement", payment.amount)
    checked = client.post(SNAP, {"action": "check", "order_id": order.pk})
    assert "Order payment status: <strong>Paid</strong>" in checked.text


def test_production_merchants_load_production_snap(gw, client, demo_on, pay_merchant, kopi):
    pay_merchant.midtrans_is_production = True
    pay_merchant.save()
    stubs.stub_snap_create(production=True)
    page = client.post(SNAP, {"action": "create"})
    assert "production: real money" in page.text
    assert '<script src="https://app.midtrans.com/snap/snap.js"' in page.text


def test_checks_only_orders_made_on_this_page(gw, client, demo_on, pay_merchant):
    order = OrderFactory(merchant=pay_merchant)
    page = client.post(SNAP, {"action": "check", "order_id": order.pk})
    assert "Only orders created on this page" in page.text
    assert len(gw.calls) == 0


def test_order_history_page_offers_every_payment_status(client, demo_on, merchant):
    page = client.get(HISTORY)
    assert page.status_code == 200
    assert "orders/my-orders" in page.text
    for label in ("Unpaid", "Pending", "Paid", "Partially refunded"):
        assert f">{label}</button>" in page.text
    assert f'value="{merchant.slug}" selected' in page.text


def test_the_test_order_leaves_out_products_that_need_a_choice(
    gw, client, demo_on, pay_merchant, kopi
):
    from catalog.tests.factories import (
        ModifierGroupFactory,
        ModifierOptionFactory,
        ProductFactory,
        ProductModifierGroupFactory,
    )

    latte = ProductFactory(merchant=pay_merchant, name="Latte")
    size = ModifierGroupFactory(merchant=pay_merchant, min_select=1)
    ModifierOptionFactory(group=size)
    ProductModifierGroupFactory(product=latte, group=size)
    stubs.stub_snap_create()
    assert client.post(SNAP, {"action": "create"}).status_code == 200
    assert list(Order.objects.get().items.values_list("product_name", flat=True)) == ["Kopi"]
