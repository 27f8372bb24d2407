"""Orders to CSV from the admin: the changelist's filters and search, streamed in chunks."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from catalog.tests.factories import ProductFactory
from customers.tests.factories import CustomerFactory
from merchants.exports import BOM, csv_cell
from merchants.tests.exports import csv_rows, read_streamed
from orders.models import Order
from orders.tests.factories import OrderFactory
from orders.tests.sales import ring_up

pytestmark = pytest.mark.django_db
WIB = ZoneInfo("Asia/Jakarta")
EXPORT = "admin:orders_order_export"


@pytest.fixture
def sales(merchant, owner, kopi, other_merchant):
    late = ring_up(
        merchant,
        datetime(2026, 3, 10, 23, 30, tzinfo=WIB),
        [(kopi, 2)],
        cashier=owner,
        refund=Decimal(6000),
    )
    ring_up(merchant, datetime(2026, 3, 10, 12, 0, tzinfo=WIB), [(kopi, 1)], cashier=owner)
    ring_up(merchant, datetime(2026, 3, 10, 13, 0, tzinfo=WIB), [(kopi, 1)], cancel=True)
    theirs = ProductFactory(merchant=other_merchant, name="Their tea")
    ring_up(other_merchant, datetime(2026, 3, 10, 9, 0, tzinfo=WIB), [(theirs, 1)])
    return late


def test_owner_exports_the_orders_as_a_streamed_csv(owner_admin, sales, time_machine):
    time_machine.move_to(datetime(2026, 3, 11, 9, 5, tzinfo=WIB), tick=False)
    response = owner_admin.get(reverse(EXPORT))
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="orders-kopi-test-20260311-0905.csv"'
    )
    rows = csv_rows(response)
    assert [row["number"] for row in rows] == [
        "INV-20260310-0001",
        "INV-20260310-0003",
        "INV-20260310-0002",
    ]  # the changelist's order (newest first), only our merchant's
    late = rows[0]
    assert late["created_at"] == "2026-03-10 23:30:00"  # Jakarta, not UTC (16:30)
    assert (late["time_zone"], late["business_date"]) == ("Asia/Jakarta", "2026-03-10")
    assert (late["total"], late["rounded"], late["refunded"]) == ("36000.00", "36000.00", "6000.00")
    assert (late["items"], late["cashier"], late["merchant"]) == ("2 × Kopi", "own", "kopi-test")
    assert (late["status"], late["payment_status"], late["counts_as_revenue"]) == (
        "completed",
        "partially_refunded",
        "yes",
    )
    assert rows[1]["counts_as_revenue"] == "no"  # cancelled


def test_the_export_honours_filters_and_search(owner_admin, sales):
    rows = csv_rows(owner_admin.get(reverse(EXPORT), {"status__exact": "cancelled"}))
    assert [row["status"] for row in rows] == ["cancelled"]
    rows = csv_rows(owner_admin.get(reverse(EXPORT), {"q": "INV-20260310-0002"}))
    assert [row["number"] for row in rows] == ["INV-20260310-0002"]
    rows = csv_rows(owner_admin.get(reverse(EXPORT), {"business_date": date(2026, 3, 9)}))
    assert rows == []


def test_the_changelist_links_to_the_export_with_its_filters(owner_admin, sales):
    page = owner_admin.get(reverse("admin:orders_order_changelist"), {"status__exact": "pending"})
    assert f'href="{reverse(EXPORT)}?status__exact=pending"'.encode() in page.content


def test_a_bad_filter_goes_back_to_the_changelist(owner_admin):
    response = owner_admin.get(reverse(EXPORT), {"no_such_field": "1"})
    assert response.status_code == 302
    assert response.url.endswith("?e=1")


def test_export_selected_orders(owner_admin, sales):
    chosen = Order.objects.filter(number="INV-20260310-0002").get()
    response = owner_admin.post(
        reverse("admin:orders_order_changelist"),
        {"action": "export_selected", "_selected_action": [chosen.pk]},
    )
    assert [row["number"] for row in csv_rows(response)] == ["INV-20260310-0002"]


def test_formula_like_text_is_defused(owner_admin, merchant):
    customer = CustomerFactory(merchant=merchant, name='=HYPERLINK("http://evil")')
    OrderFactory(merchant=merchant, customer=customer)
    [row] = csv_rows(owner_admin.get(reverse(EXPORT)))
    assert row["customer_name"] == '\'=HYPERLINK("http://evil")'


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (Decimal("-5000"), "-5000.00"),  # a number, not a formula
        (Decimal("12.345"), "12.345"),
        (Decimal("1E+3"), "1000.00"),
        (None, ""),
        (True, "yes"),
        ("+62 812", "'+62 812"),
        ("@sum", "'@sum"),
        ("Kopi Susu ☕", "Kopi Susu ☕"),
    ],
)
def test_cells(value, cell):
    assert csv_cell(value, WIB) == cell


def test_officers_cannot_export(client, officer, sales):
    client.force_login(officer)
    assert client.get(reverse(EXPORT)).status_code == 403
    page = client.get(reverse("admin:orders_order_changelist"))
    assert page.status_code == 200
    assert b"Export CSV" not in page.content
    assert b"export_selected" not in page.content


def test_the_operator_exports_every_merchant_or_one(client, operator, sales, other_merchant):
    client.force_login(operator)
    rows = csv_rows(client.get(reverse(EXPORT)))
    assert {row["merchant"] for row in rows} == {"kopi-test", "other-shop"}
    rows = csv_rows(client.get(reverse(EXPORT), {"merchant__id__exact": other_merchant.pk}))
    assert {row["merchant"] for row in rows} == {"other-shop"}


def test_the_export_is_read_in_chunks_not_all_at_once(owner_admin, merchant, settings):
    """Memory stays bounded: rows are loaded a chunk at a time while the CSV is written."""
    settings.EXPORT_CHUNK_SIZE = 50
    OrderFactory.create_batch(500, merchant=merchant)
    read = read_streamed(owner_admin.get(reverse(EXPORT)), Order)
    assert read.first.startswith(BOM.encode())
    assert read.loaded_first < 300  # written before the rest was read
    assert read.loaded == 500
    assert read.body.count(b"\n") == 501
    # One query read in chunks (a server-side cursor on PostgreSQL), and one query for each
    # chunk's items (not one per order).
    items = [sql for sql in read.queries if sql.startswith('SELECT "orders_orderitem"')]
    assert (len(read.queries), len(items)) == (1 + 500 // 50, 500 // 50)
