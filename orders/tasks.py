from celery import shared_task

from orders.idempotency import idempotency_prune
from orders.services import order_cancel_unpaid


@shared_task(name="orders.cancel_unpaid_orders")
def order_cancel_unpaid_task() -> int:
    """Cancel pending orders not paid within ORDER_PAYMENT_TIMEOUT_MINUTES (stock released)."""
    return len(order_cancel_unpaid())


@shared_task(name="orders.prune_idempotency_keys")
def idempotency_prune_task() -> int:
    return idempotency_prune()
