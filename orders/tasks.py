from smtplib import SMTPException

from celery import shared_task

from orders.idempotency import idempotency_prune
from orders.services import order_cancel_unpaid, order_receipt_send


@shared_task(name="orders.cancel_unpaid_orders")
def order_cancel_unpaid_task() -> int:
    """Cancel pending orders not paid within ORDER_PAYMENT_TIMEOUT_MINUTES (stock released)."""
    return len(order_cancel_unpaid())


@shared_task(name="orders.prune_idempotency_keys")
def idempotency_prune_task() -> int:
    return idempotency_prune()


@shared_task(
    name="orders.send_receipt",
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=6,
    acks_late=True,
)
def order_receipt_send_task(order_id: int) -> bool:
    """Email the paid receipt of one order to its customer; a second delivery sends nothing."""
    return order_receipt_send(order_id=order_id)
