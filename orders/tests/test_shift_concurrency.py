"""Shifts and the stock ledger under concurrency (PostgreSQL: real row locks)."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from catalog.models import StockMovement
from catalog.stock import StockKind, stock_adjust, stock_audit_differences
from catalog.tests.factories import ProductFactory
from merchants.actors import Actor
from merchants.testing import requires_postgres, run_concurrently
from orders.models import Order
from orders.tests.conftest import lines
from payments.models import Payment, Shift
from payments.shifts import shift_open

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]
SHIFTS = "/api/v1/shifts"
ORDERS = "/api/v1/orders"


def test_two_closes_of_one_shift_close_it_once(client_for, officer, merchant):
    shift = shift_open(merchant=merchant, actor=Actor.staff(officer), opening_cash=Decimal(1000))

    def close(index):
        return client_for(officer).post(
            f"{SHIFTS}/{shift.pk}/close", {"counted_cash": str(1000 + index)}, format="json"
        )

    codes = sorted(response.status_code for response in run_concurrently(close, 6))
    assert codes == [200, 409, 409, 409, 409, 409]
    shift.refresh_from_db()
    assert shift.closed_at is not None


def test_two_tills_opening_the_same_register_get_one_shift(client_for, officer, merchant):
    def open_(_):
        return client_for(officer).post(f"{SHIFTS}/open", {"opening_cash": "0"}, format="json")

    codes = sorted(response.status_code for response in run_concurrently(open_, 6))
    assert codes == [201, 409, 409, 409, 409, 409]
    assert Shift.objects.count() == 1


def test_cash_sales_racing_the_close_land_in_it_or_are_refused(client_for, officer, merchant):
    """Sales and the close lock the same shift row: a sale is either in the closed shift's
    expected cash, or refused (409, no shift open), never lost between the two."""
    merchant.require_open_shift = True
    merchant.save(update_fields=["require_open_shift"])
    shift = shift_open(merchant=merchant, actor=Actor.staff(officer), opening_cash=Decimal(0))
    tea = ProductFactory(merchant=merchant, base_price=Decimal(10000))
    orders = [
        client_for(officer).post(ORDERS, {"lines": lines((tea, 1))}, format="json").json()["id"]
        for _ in range(8)
    ]

    def act(index):
        client = client_for(officer)
        if index == 8:
            return client.post(f"{SHIFTS}/{shift.pk}/close", {"counted_cash": "0"}, format="json")
        return client.post(
            f"{ORDERS}/{orders[index]}/pay-cash", {"amount_paid": "10000"}, format="json"
        )

    results = run_concurrently(act, 9)
    assert results[8].status_code == 200
    paid = [r.status_code for r in results[:8]]
    assert set(paid) <= {200, 409}
    shift.refresh_from_db()
    in_shift = Payment.objects.filter(shift=shift).count()
    assert in_shift == paid.count(200)
    assert shift.expected_cash == Decimal(10000) * in_shift


def test_stock_adjustments_racing_sales_keep_the_ledger_whole(client_for, officer, owner, merchant):
    """The must-show soak: tills selling while the owner restocks and counts (through the API
    and the service alike), then `stock_audit` finds stock equal to the ledger for every
    product, and every adjustment is in it."""
    a = ProductFactory(merchant=merchant, track_stock=True, stock=30)
    b = ProductFactory(merchant=merchant, track_stock=True, stock=30)
    before = set(StockMovement.objects.values_list("pk", flat=True))  # the opening counts

    def adjust_by_api(product, body):
        url = reverse("api:product-detail", args=[product.pk]).rstrip("/") + "/stock-adjustments"
        return client_for(owner).post(url, body, format="json")

    def work(index):
        if index in (0, 10, 20):
            return stock_adjust(
                product=a, actor=Actor.staff(owner), kind=StockKind.RESTOCK, delta=3
            )
        if index in (5, 15):
            return adjust_by_api(a, {"kind": "restock", "delta": 3, "reason": "Delivery"})
        if index == 14:
            return stock_adjust(
                product=b, actor=Actor.staff(owner), kind=StockKind.COUNT, counted=20
            )
        if index in (7, 21):
            return adjust_by_api(b, {"counted": 20, "reason": "Shelf count"})
        pairs = ((a, 2), (b, 1)) if index % 2 else ((b, 2), (a, 1))
        return client_for(officer).post(ORDERS, {"lines": lines(*pairs)}, format="json")

    results = run_concurrently(work, 24)
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    by_api = [results[i] for i in (5, 15, 7, 21)]
    assert [r.status_code for r in by_api] == [201] * 4, [r.content for r in by_api]
    assert all(isinstance(results[i], StockMovement) for i in (0, 10, 20, 14))
    sales = [r.status_code for i, r in enumerate(results) if i not in (0, 5, 7, 10, 14, 15, 20, 21)]
    assert len(sales) == 16
    assert set(sales) <= {201, 409}
    assert sales.count(201) >= 1  # the soak sold something: it raced real sales
    landed = StockMovement.objects.exclude(pk__in=before)
    assert landed.filter(product=a, kind="restock").count() == 5
    assert landed.filter(product=b, kind="count").count() == 3
    assert stock_audit_differences() == []
    call_command("stock_audit")  # exits 0
    sold = -sum(StockMovement.objects.filter(kind="sale").values_list("delta", flat=True))
    assert sold == sum(item.quantity for order in Order.objects.all() for item in order.items.all())
