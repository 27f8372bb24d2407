"""Sales as they happen, for report tests: rung up, paid and refunded through the services.

`ring_up(...)` places an order at a given moment (the clock is moved, so the business date
and number are what the counter would get), pays it and moves it along. Refunds of cash go
through `payment_refund`; gateway payments are stored as the gateway left them.
"""

from datetime import datetime
from decimal import Decimal

import time_machine

from merchants.actors import SYSTEM, Actor
from orders.models import Order
from orders.payment_status import order_set_payment_status
from orders.services import (
    LineInput,
    order_cancel,
    order_complete,
    order_confirm,
    order_create,
)
from payments.models import Payment
from payments.services import payment_record_cash, payment_refund
from payments.tests.factories import PaymentFactory


def ring_up(
    merchant,
    at: datetime,
    lines,
    *,
    cashier=None,
    pay: str | None = "cash",
    refund: Decimal | None = None,
    cancel: bool = False,
) -> Order:
    """`lines`: [(product, qty)]. `pay`: "cash", "qris", "snap" or None (left unpaid)."""
    actor = Actor.staff(cashier) if cashier is not None else SYSTEM
    with time_machine.travel(at, tick=False):
        order = order_create(
            merchant=merchant,
            lines=[LineInput(product_id=product.pk, quantity=qty) for product, qty in lines],
            actor=actor,
        )
        if cancel:
            order_cancel(order=order, actor=actor, reason="customer left")
            return Order.objects.get(pk=order.pk)
        payment = None
        if pay == "cash":
            payment = payment_record_cash(
                merchant=merchant,
                reference_kind="order",
                reference_id=str(order.pk),
                amount_due=order.rounded_amount,
                amount_paid=order.rounded_amount + Decimal(10000),
                actor=actor,
            ).payment
        elif pay is not None:
            payment = PaymentFactory(
                merchant=merchant,
                reference_id=str(order.pk),
                method=pay,
                amount=order.total_amount,
                status=Payment.Status.PAID,
                paid_at=at,
            )
        if payment is not None:
            order_set_payment_status(order=order, to_status="paid", actor=actor, paid_at=at)
            order_confirm(order=order, actor=actor)
            order_complete(order=order, actor=actor)
        if refund:
            _refund(payment, refund)
            full = refund == payment.amount
            order_set_payment_status(
                order=order, to_status="refunded" if full else "partially_refunded", actor=actor
            )
    return Order.objects.get(pk=order.pk)


def _refund(payment: Payment, amount: Decimal) -> None:
    if payment.gateway == Payment.Gateway.CASH:
        payment_refund(payment=payment, amount=amount, reason="cold coffee", actor=SYSTEM)
        return
    full = amount == payment.amount
    Payment.objects.filter(pk=payment.pk).update(
        refunded_amount=amount,
        status=Payment.Status.REFUNDED if full else Payment.Status.PARTIALLY_REFUNDED,
    )
