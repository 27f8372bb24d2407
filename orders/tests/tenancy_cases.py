from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from catalog.tests.factories import ProductFactory
from merchants.models import Membership
from merchants.tests.factories import TableLocationFactory
from merchants.tests.tenancy import AdminRowsCase, EndpointCase, ReportCase
from orders.models import Order
from orders.tests.factories import OrderEventFactory, OrderFactory, OrderItemFactory

Role = Membership.Role


def _payload(merchant):
    return {"lines": [{"product_id": ProductFactory(merchant=merchant).pk, "qty": 1}]}


CASES = [
    EndpointCase(
        basename="order",
        factory=OrderFactory,
        create_payload=_payload,
        related_fields={"table_id": TableLocationFactory},
        write_role=Membership.Role.OFFICER,
        detail_actions=(
            ("post", "confirm"),
            ("post", "complete"),
            ("post", "cancel"),
            ("post", "create-payment"),
            ("post", "check-status"),
            ("post", "pay-cash"),
            ("get", "pay-cash"),
            ("post", "cancel-payment"),
            ("post", "expire-payment"),
            ("post", "refund"),
            ("post", "lines"),
            ("post", "lines/1/void"),
            ("post", "move"),
            ("post", "split"),
            ("post", "discount"),
            ("delete", "discount"),
            ("post", "payments"),
            ("get", "payments"),
        ),
        updatable=False,
        deletable=False,
    ),
]


def _sale_today(merchant) -> str:
    """A paid QRIS sale now of a product priced by the merchant's id: its total is the marker."""
    from orders.tests.sales import ring_up

    price = Decimal(120000 + merchant.pk)
    product = ProductFactory(merchant=merchant, name=f"Marker of {merchant.slug}", base_price=price)
    ring_up(merchant, timezone.now(), [(product, 1)], pay="qris")
    return f"{price:.2f}"


def _product_sold_today(merchant) -> str:
    _sale_today(merchant)
    return f"Marker of {merchant.slug}"


def _pending_orders_today(merchant) -> str:
    from orders.tests.sales import ring_up

    count = 2 + merchant.pk % 5
    product = ProductFactory(merchant=merchant)
    for _ in range(count):
        ring_up(merchant, timezone.now(), [(product, 1)], pay=None)
    return f'"{count}"'


def _panel(name):
    return lambda: reverse("api:report-panel", kwargs={"name": name})


def _sales_today():
    today = timezone.localdate().isoformat()
    return f"{reverse('api:report-sales')}?from={today}&to={today}&group_by=product"


REPORT_CASES = [
    ReportCase("report-daily", lambda: reverse("api:report-daily"), _sale_today),
    ReportCase("report-sales", _sales_today, _product_sold_today, read_role=Role.OWNER),
    ReportCase("panel-revenue-per-day", _panel("revenue-per-day"), _sale_today, Role.OWNER),
    ReportCase("panel-orders-by-status", _panel("orders-by-status"), _pending_orders_today),
    ReportCase(
        "panel-top-products-revenue",
        _panel("top-products-revenue"),
        _product_sold_today,
        Role.OWNER,
    ),
    ReportCase("panel-top-products-quantity", _panel("top-products-quantity"), _product_sold_today),
]

ADMIN_ROWS_CASES = [
    AdminRowsCase(Order, OrderFactory),
    AdminRowsCase(Order, OrderFactory, OrderItemFactory, parent="order"),
    AdminRowsCase(Order, OrderFactory, OrderEventFactory, parent="order"),
]
