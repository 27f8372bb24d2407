import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from merchants.actors import SYSTEM
from orders.models import Order, OrderEvent
from orders.payment_status import order_set_payment_status
from orders.services import order_cancel_unpaid, order_release_stock
from orders.tasks import order_cancel_unpaid_task
from orders.tests.conftest import lines

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders"
ACTION = {"confirmed": "confirm", "completed": "complete", "cancelled": "cancel"}


def place(client, *pairs):
    return Order.objects.get(
        pk=client.post(URL, {"lines": lines(*pairs)}, format="json").json()["id"]
    )


def test_happy_path_writes_events(officer_client, kopi):
    order = place(officer_client, (kopi, 1))
    assert officer_client.post(f"{URL}/{order.pk}/confirm").status_code == 200
    body = officer_client.post(f"{URL}/{order.pk}/complete").json()
    assert body["status"] == "completed"
    assert body["allowed_next_statuses"] == []
    moves = [(e["from_status"], e["to_status"]) for e in body["events"] if e["kind"] == "status"]
    assert moves == [("pending", "confirmed"), ("confirmed", "completed")]
    assert body["completed_at"]


FORBIDDEN = [
    (start, target)
    for start, target in itertools.product(Order.Status.values, ACTION)
    if target not in Order.ALLOWED_TRANSITIONS[start]
]


@pytest.mark.parametrize(("start", "target"), FORBIDDEN)
def test_every_forbidden_move_is_a_409_listing_allowed_moves(officer_client, kopi, start, target):
    order = place(officer_client, (kopi, 1))
    Order.objects.filter(pk=order.pk).update(status=start)
    response = officer_client.post(f"{URL}/{order.pk}/{ACTION[target]}")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "invalid_transition"
    assert error["details"]["allowed"] == sorted(Order.ALLOWED_TRANSITIONS[start])
    order.refresh_from_db()
    assert order.status == start


def test_cancel_releases_stock_exactly_once(officer_client, croissant):
    order = place(officer_client, (croissant, 4))
    croissant.refresh_from_db()
    assert croissant.stock == 1
    response = officer_client.post(f"{URL}/{order.pk}/cancel", {"reason": "changed mind"})
    assert response.status_code == 200
    croissant.refresh_from_db()
    assert croissant.stock == 5
    assert order_release_stock(order=order) is False
    croissant.refresh_from_db()
    assert croissant.stock == 5
    assert OrderEvent.objects.filter(order=order, kind="stock_released").count() == 1


def test_expired_payment_cancels_a_pending_order_and_frees_stock(officer_client, croissant):
    order = place(officer_client, (croissant, 2))
    order_set_payment_status(order=order, to_status="pending")
    order_set_payment_status(order=order, to_status="expired")
    order.refresh_from_db()
    croissant.refresh_from_db()
    assert (order.status, order.payment_status, croissant.stock) == ("cancelled", "expired", 5)


def test_payment_moves_follow_the_map(officer_client, kopi):
    order = place(officer_client, (kopi, 1))
    assert order_set_payment_status(order=order, to_status="paid") is True
    # A late "pending" after "paid" is ignored, not an error.
    assert order_set_payment_status(order=order, to_status="pending") is False
    order.refresh_from_db()
    assert order.payment_status == "paid"
    assert order.paid_at is not None


def test_beat_cancels_only_stale_unpaid_pending_orders(officer_client, croissant, kopi, settings):
    settings.ORDER_PAYMENT_TIMEOUT_MINUTES = 30
    stale = place(officer_client, (croissant, 2))
    paid = place(officer_client, (kopi, 1))
    confirmed = place(officer_client, (kopi, 1))
    fresh = place(officer_client, (kopi, 1))
    old = timezone.now() - timedelta(minutes=31)
    Order.objects.filter(pk__in=[stale.pk, paid.pk, confirmed.pk]).update(created_at=old)
    order_set_payment_status(order=paid, to_status="paid")
    Order.objects.filter(pk=confirmed.pk).update(status="confirmed")

    assert order_cancel_unpaid_task() == 1
    assert order_cancel_unpaid() == []  # idempotent
    states = dict(Order.objects.values_list("pk", "status"))
    assert states[stale.pk] == "cancelled"
    assert {states[paid.pk], states[confirmed.pk], states[fresh.pk]} == {"pending", "confirmed"}
    croissant.refresh_from_db()
    assert croissant.stock == 5
    event = OrderEvent.objects.get(order=stale, kind="status")
    assert event.actor_label == SYSTEM.label
    assert event.payload["reason"] == "not paid in time"


def test_beat_leaves_a_part_paid_bill_alone(officer_client, kopi, merchant, settings):
    from payments.tests.factories import PaymentMethodFactory

    settings.ORDER_PAYMENT_TIMEOUT_MINUTES = 30
    card = PaymentMethodFactory(merchant=merchant, kind="card")
    bill = place(officer_client, (kopi, 2))
    officer_client.post(
        f"/api/v1/orders/{bill.pk}/payments", {"method_id": card.pk, "amount": "10000"}
    )
    Order.objects.filter(pk=bill.pk).update(created_at=timezone.now() - timedelta(minutes=31))
    assert order_cancel_unpaid() == []
    assert Order.objects.get(pk=bill.pk).status == "pending"
