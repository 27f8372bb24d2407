import logging

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval

from merchants.emails import EMAIL_TASK_OPTIONS
from merchants.errors import GatewayError
from orders.idempotency import idempotency_prune
from orders.payments import order_cancel_open_payments
from orders.receipts import order_receipt_send
from orders.services import order_cancel_unpaid

logger = logging.getLogger(__name__)

# A Snap charge stays payable for PAYMENT_SNAP_EXPIRY_MINUTES (60): the tries end within about
# ten minutes, well before that; past them, reconciliation and the refund flag take over.
CANCEL_MAX_RETRIES = 6
CANCEL_BACKOFF_SECONDS = 10
CANCEL_BACKOFF_MAX_SECONDS = 300


@shared_task(name="orders.cancel_unpaid_orders")
def order_cancel_unpaid_task() -> int:
    """Cancel pending orders not paid within ORDER_PAYMENT_TIMEOUT_MINUTES (stock released)."""
    return len(order_cancel_unpaid())


@shared_task(name="orders.prune_idempotency_keys")
def idempotency_prune_task() -> int:
    return idempotency_prune()


@shared_task(name="orders.send_receipt", **EMAIL_TASK_OPTIONS)
def order_receipt_send_task(order_id: int) -> bool:
    """Email the paid receipt of one order to its customer; a second delivery sends nothing."""
    return order_receipt_send(order_id=order_id)


@shared_task(
    bind=True, name="orders.cancel_open_payments", max_retries=CANCEL_MAX_RETRIES, acks_late=True
)
def order_cancel_open_payments_task(self, order_id: int) -> int:
    """Cancel at the gateway the charges still open for an order just cancelled or paid in cash.

    Queued on commit, so a slow gateway never holds up the cashier's answer. A timeout, a network
    failure or a 5xx is retried with backoff; after the last try it is logged, not raised (the
    order is cancelled or paid either way, and reconciliation still sees the charge pending).
    Running it again is harmless: only charges still pending are touched.
    """
    try:
        return order_cancel_open_payments(order_id)
    except (GatewayError, OSError) as error:
        if self.request.retries >= self.max_retries:
            logger.error(
                "Gave up cancelling the open charges of order %s after %s tries: %s; "
                "reconciliation will pick them up",
                order_id,
                self.request.retries + 1,
                getattr(error, "message", error),
            )
            return 0
        countdown = get_exponential_backoff_interval(
            factor=CANCEL_BACKOFF_SECONDS,
            retries=self.request.retries,
            maximum=CANCEL_BACKOFF_MAX_SECONDS,
            full_jitter=True,
        )
        raise self.retry(exc=error, countdown=countdown) from error
