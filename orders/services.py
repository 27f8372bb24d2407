"""Writes for orders: creation (pricing, stock), status workflow, release, and payments: the
order side of Snap, cash, cancel, expire and refunds, and the receipt email."""

import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, Prefetch, Value, When
from django.utils import timezone

from catalog.models import Product
from customers.models import Customer
from customers.services import customer_get_or_create_by_email, customer_update
from merchants.emails import send_templated_email
from merchants.errors import Conflict, DomainError, GatewayError
from merchants.models import Merchant, TableLocation
from merchants.outbox import task_queue_on_commit
from merchants.reports import local_today
from orders.models import Order, OrderEvent, OrderItem, OrderNumberSequence
from orders.pricing import PricedLine, order_price
from orders.selectors import order_payment_list, order_queryset
from payments.gateways.base import CustomerDetails, LineItem
from payments.models import Payment
from payments.services import (
    CashReceipt,
    payment_cancel,
    payment_check_status,
    payment_create_snap,
    payment_expire,
    payment_record_cash,
    payment_refund,
)

logger = logging.getLogger(__name__)

MAX_LINES = 100
MAX_QUANTITY = 999


@dataclass(frozen=True)
class LineInput:
    product_id: int
    quantity: int
    notes: str = ""


@dataclass(frozen=True)
class Actor:
    """Who is acting: a staff user, a customer, or the system (beat tasks, webhooks)."""

    user: object | None = None
    customer: Customer | None = None
    label: str = "system"

    @classmethod
    def staff(cls, user) -> "Actor":
        return cls(user=user, label=user.get_username())

    @classmethod
    def of_customer(cls, customer: Customer) -> "Actor":
        return cls(customer=customer, label=f"customer {customer.pk}")


SYSTEM = Actor()


@dataclass(frozen=True)
class CustomerInput:
    customer_id: int | None = None
    email: str = ""
    name: str = ""
    phone: str = ""
    extra: dict = field(default_factory=dict)


def _event(order: Order, actor: Actor, kind: str, old: str = "", new: str = "", **payload):
    return OrderEvent(
        order=order,
        kind=kind,
        from_status=old,
        to_status=new,
        actor=actor.user,
        actor_label=actor.label,
        payload=payload,
    )


def _next_number(*, merchant: Merchant, day) -> str:
    """INV-YYYYMMDD-NNNN; the sequence row stays locked until the order commits, so no gaps.

    One statement: the day's first order inserts the row at 1, the others add one to it and
    read the new number back (PostgreSQL and SQLite both upsert with RETURNING).
    """
    table = connection.ops.quote_name(OrderNumberSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (merchant_id, day, last_number) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (merchant_id, day) DO UPDATE SET last_number = {table}.last_number + 1 "
            "RETURNING last_number",
            [merchant.pk, connection.ops.adapt_datefield_value(day)],
        )
        (number,) = cursor.fetchone()
    return Order.number_for(day, number)


def _load_products(*, merchant: Merchant, lines: list[LineInput]) -> dict[int, Product]:
    ids = {line.product_id for line in lines}
    products = {p.pk: p for p in Product.objects.filter(merchant=merchant, pk__in=ids)}
    missing = sorted(ids - products.keys())
    if missing:
        raise DomainError(
            f"No such product: {', '.join(map(str, missing))}.",
            details={"lines": {"unknown_product_ids": missing}},
        )
    closed = [p for p in products.values() if not (p.is_active and p.is_available)]
    if closed:
        names = ", ".join(sorted(p.name for p in closed))
        raise DomainError(
            f"Not available for sale right now: {names}.",
            details={"lines": {"unavailable_product_ids": sorted(p.pk for p in closed)}},
        )
    return products


def _stock_delta_case(quantities: dict[int, int]) -> Case:
    return Case(
        *[When(pk=pk, then=Value(qty)) for pk, qty in quantities.items()],
        default=Value(0),
        output_field=IntegerField(),
    )


def _reserve_stock(*, products: dict[int, Product], quantities: dict[int, int]) -> None:
    """Take units of tracked products, or raise Conflict naming the product and what is left.

    Rows are locked in product-id order (so two baskets never deadlock), checked, then updated
    in one conditional statement: a constant number of queries however many lines there are.
    """
    if not quantities:
        return
    locked = dict(
        Product.objects.select_for_update()
        .filter(pk__in=quantities.keys())
        .order_by("pk")
        .values_list("pk", "stock")
    )
    for pk in sorted(quantities):
        if locked[pk] < quantities[pk]:
            product = products[pk]
            raise Conflict(
                f"Not enough stock for {product.name}: {locked[pk]} left, {quantities[pk]} asked.",
                code="insufficient_stock",
                details={"product_id": pk, "available": locked[pk], "requested": quantities[pk]},
            )
    delta = _stock_delta_case(quantities)
    updated = Product.objects.filter(pk__in=quantities.keys(), stock__gte=delta).update(
        stock=F("stock") - delta
    )
    if updated != len(quantities):  # only reachable where rows are not locked (SQLite)
        raise Conflict("Stock changed while ordering; please try again.", code="stock_changed")


def _resolve_customer(*, merchant: Merchant, data: CustomerInput) -> Customer | None:
    if data.customer_id:
        customer = Customer.objects.filter(merchant=merchant, pk=data.customer_id).first()
        if customer is None:
            raise DomainError(
                f"No such customer: {data.customer_id}.", details={"customer_id": ["Not found."]}
            )
        return customer
    if not data.email:
        return None
    customer = customer_get_or_create_by_email(
        merchant=merchant, email=data.email, name=data.name, phone=data.phone
    )
    changes = {
        name: value
        for name, value in (("name", data.name), ("phone", data.phone))
        if value and getattr(customer, name) != value
    }
    if changes:
        customer = customer_update(customer=customer, **changes)
    return customer


def order_item_build(*, order: Order, line: PricedLine, reserve: bool = True) -> OrderItem:
    """An unsaved line of `order`, snapshotting the product and its price as priced now, so
    later catalog changes never alter it. `reserve`: tracked stock is held by this line."""
    promotion = line.quote.promotion
    return OrderItem(
        order=order,
        product=line.product,
        product_name=line.product.name,
        product_type=line.product.product_type,
        base_price=line.quote.base,
        final_price=line.quote.final,
        promotion_id=promotion.pk if promotion else None,
        promotion_name=promotion.name if promotion else "",
        tax_percent=line.product.tax_percent,
        service_charge_percent=line.product.service_charge_percent,
        quantity=line.quantity,
        reserved_quantity=line.quantity if reserve and line.product.track_stock else 0,
        line_subtotal_amount=line.line_subtotal,
        discount_amount=line.discount,
        tax_amount=line.tax,
        service_charge_amount=line.service_charge,
        notes=line.notes,
    )


def order_create(
    *,
    merchant: Merchant,
    lines: list[LineInput],
    actor: Actor,
    customer: CustomerInput | Customer | None = None,
    table: TableLocation | None = None,
    order_type: str = Order.Type.TAKEAWAY,
    guest_count: int = 1,
    notes: str = "",
) -> Order:
    """Price every line on the server, reserve stock, number the order, all or nothing.

    The order comes back with its `item_list` and `event_list`, ready to be shown.
    """
    if not lines:
        raise DomainError("An order needs at least one line.", details={"lines": ["Empty."]})
    if len(lines) > MAX_LINES:
        raise DomainError(f"An order has at most {MAX_LINES} lines.")
    for line in lines:
        if not 1 <= line.quantity <= MAX_QUANTITY:
            raise DomainError(f"Quantities are 1 to {MAX_QUANTITY}; got {line.quantity}.")
    if table is not None and (table.merchant_id != merchant.pk or not table.is_active):
        raise DomainError(
            f"Table {table.number} is not taking orders.", details={"table_id": ["Inactive."]}
        )

    products = _load_products(merchant=merchant, lines=lines)
    now = timezone.now()
    with transaction.atomic():
        if isinstance(customer, CustomerInput):
            customer = _resolve_customer(merchant=merchant, data=customer)
        pricing = order_price(
            lines=[(products[line.product_id], line.quantity, line.notes) for line in lines],
            currency=merchant.currency,
            at=now,
        )
        wanted = Counter()
        for line in lines:
            if products[line.product_id].track_stock:
                wanted[line.product_id] += line.quantity
        _reserve_stock(products=products, quantities=dict(wanted))

        day = local_today(merchant, now)
        order = Order.objects.create(
            merchant=merchant,
            number=_next_number(merchant=merchant, day=day),
            business_date=day,
            customer=customer,
            table=table,
            created_by=actor.user,
            order_type=order_type,
            guest_count=guest_count,
            notes=notes,
            subtotal_amount=pricing.subtotal,
            discount_amount=pricing.discount,
            tax_amount=pricing.tax,
            service_charge_amount=pricing.service_charge,
            total_amount=pricing.total,
            rounded_amount=pricing.rounded,
            currency=merchant.currency,
            stock_reserved=bool(wanted),
        )
        items = OrderItem.objects.bulk_create(
            [order_item_build(order=order, line=line) for line in pricing.lines]
        )
        created = _event(
            order, actor, OrderEvent.Kind.CREATED, "", order.status, total=str(order.total_amount)
        )
        created.save()
    # As `order_queryset(with_events=True)` would read them back, without reading them back.
    order.item_list, order.event_list = items, [created]
    return order


def _lock(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


def _allowed_message(order: Order, target: str) -> str:
    allowed = order.allowed_next_statuses()
    return f"Order {order.number} is {order.status} and cannot become {target}; " + (
        f"allowed: {', '.join(allowed)}." if allowed else "it is final."
    )


def order_transition(*, order: Order, to_status: str, actor: Actor, reason: str = "") -> Order:
    """Move an order along its workflow; forbidden moves are a 409 that lists the allowed ones."""
    with transaction.atomic():
        order = _lock(order)
        old = order.status
        if to_status not in Order.ALLOWED_TRANSITIONS[old]:
            raise Conflict(
                _allowed_message(order, to_status),
                code="invalid_transition",
                details={"status": old, "allowed": order.allowed_next_statuses()},
            )
        now = timezone.now()
        order.status = to_status
        fields = ["status", "updated_at"]
        stamp = {
            Order.Status.CONFIRMED: "confirmed_at",
            Order.Status.COMPLETED: "completed_at",
            Order.Status.CANCELLED: "cancelled_at",
        }[to_status]
        setattr(order, stamp, now)
        fields.append(stamp)
        order.save(update_fields=fields)
        _event(order, actor, OrderEvent.Kind.STATUS, old, to_status, reason=reason).save()
        if to_status == Order.Status.CANCELLED:
            order_release_stock(order=order, actor=actor)
            _queue_cancel_open_payments(order)
    return order


def _queue_cancel_open_payments(order: Order) -> None:
    """Queue the task that cancels the order's charges still open at a gateway, after commit: the
    cashier's answer never waits for the gateway, and a change rolled back queues nothing.

    Robust: the order is cancelled or paid either way, so a broker that cannot take the task
    leaves it in the outbox, and with Celery eager a gateway failure is logged rather than
    turned into an error for a change already committed.
    """
    from orders.tasks import order_cancel_open_payments_task

    task_queue_on_commit(order_cancel_open_payments_task, order.pk, robust=True)


def order_confirm(*, order: Order, actor: Actor) -> Order:
    return order_transition(order=order, to_status=Order.Status.CONFIRMED, actor=actor)


def order_complete(*, order: Order, actor: Actor) -> Order:
    return order_transition(order=order, to_status=Order.Status.COMPLETED, actor=actor)


def order_cancel(*, order: Order, actor: Actor, reason: str = "") -> Order:
    return order_transition(
        order=order, to_status=Order.Status.CANCELLED, actor=actor, reason=reason
    )


def order_release_stock(*, order: Order, actor: Actor = SYSTEM) -> bool:
    """Give reserved units back, exactly once however often it is called."""
    with transaction.atomic():
        flipped = Order.objects.filter(pk=order.pk, stock_reserved=True).update(
            stock_reserved=False
        )
        if not flipped:
            return False
        quantities = Counter()
        for product_id, qty in OrderItem.objects.filter(
            order_id=order.pk, reserved_quantity__gt=0
        ).values_list("product_id", "reserved_quantity"):
            quantities[product_id] += qty
        if quantities:
            delta = _stock_delta_case(dict(quantities))
            Product.objects.filter(pk__in=quantities.keys()).update(stock=F("stock") + delta)
        order.stock_reserved = False
        _event(
            order,
            actor,
            OrderEvent.Kind.STOCK_RELEASED,
            payload_units={str(k): v for k, v in quantities.items()},
        ).save()
    return True


def order_set_payment_status(
    *, order: Order, to_status: str, actor: Actor = SYSTEM, paid_at=None, **payload
) -> bool:
    """Record a payment status change; an impossible move is ignored (and logged), not raised.

    Gateways repeat and reorder notifications, so a late or duplicate one must not fail the
    webhook; the payments app has already decided the payment's own state.
    """
    with transaction.atomic():
        return _apply_payment_status(
            _lock(order), to_status=to_status, actor=actor, paid_at=paid_at, **payload
        )


def _apply_payment_status(
    order: Order, *, to_status: str, actor: Actor, paid_at=None, **payload
) -> bool:
    """`order_set_payment_status` on an order row the caller has locked (updated in place)."""
    old = order.payment_status
    if to_status == old or to_status not in Order.PAYMENT_TRANSITIONS[old]:
        if to_status != old:
            logger.info("Order %s payment stays %s (asked: %s)", order.number, old, to_status)
        return False
    order.payment_status = to_status
    fields = ["payment_status", "updated_at"]
    if to_status == Order.PaymentStatus.PAID:
        order.paid_at = paid_at or timezone.now()
        fields.append("paid_at")
    order.save(update_fields=fields)
    _event(order, actor, OrderEvent.Kind.PAYMENT, old, to_status, **payload).save()
    if to_status == Order.PaymentStatus.EXPIRED and order.status == Order.Status.PENDING:
        order_cancel(order=order, actor=actor, reason="payment expired")
        order.status = Order.Status.CANCELLED
    return True


def order_cancel_unpaid(*, now=None) -> list[str]:
    """Cancel pending orders left unpaid past ORDER_PAYMENT_TIMEOUT_MINUTES; returns numbers."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.ORDER_PAYMENT_TIMEOUT_MINUTES)
    stale = Order.objects.filter(
        status=Order.Status.PENDING,
        payment_status__in=[
            Order.PaymentStatus.UNPAID,
            Order.PaymentStatus.FAILED,
            Order.PaymentStatus.EXPIRED,
        ],
        created_at__lt=cutoff,
    ).only("pk", "number", "status")
    cancelled = []
    for order in stale.iterator():
        try:
            order_cancel(order=order, actor=SYSTEM, reason="not paid in time")
        except Conflict:
            continue  # moved on meanwhile (paid, confirmed or cancelled by someone)
        cancelled.append(order.number)
    return cancelled


# --- payments ---------------------------------------------------------------------------------
#
# An order may have several payments (a Snap attempt abandoned, then cash; a second attempt after
# the first expired). Its payment status is derived from all of them by `order_payment_status_for`
# and moved only along Order.PAYMENT_TRANSITIONS; every payment change leaves an OrderEvent.

PaymentStatus = Order.PaymentStatus
PAID_FAMILY = frozenset(
    {PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}
)

# Who is acting on the order's payments right now (staff member, customer); the payments registry
# calls `order_payment_changed` without one, and webhooks and beat tasks are the system.
_payment_actor: ContextVar[Actor] = ContextVar("order_payment_actor", default=SYSTEM)


@contextmanager
def _acting(actor: Actor) -> Iterator[None]:
    token = _payment_actor.set(actor)
    try:
        yield
    finally:
        _payment_actor.reset(token)


def order_payment_status_for(payments: list[Payment], *, current: str) -> str:
    """What an order's payment status is, given all its payments (newest first).

    Money counts first: any payment still paid → paid; else one partly refunded → partially
    refunded; else all money returned → refunded. Without money in: an open attempt → pending;
    money taken back by the gateway (a settlement reversed, a capture voided) → failed; otherwise
    the newest attempt says it: failed, expired, or unpaid again once it was cancelled.
    """
    held = {p.status for p in payments if p.status in Payment.PAID_STATUSES}
    if Payment.Status.PAID in held:
        return PaymentStatus.PAID
    if Payment.Status.PARTIALLY_REFUNDED in held:
        return PaymentStatus.PARTIALLY_REFUNDED
    if held:
        return PaymentStatus.REFUNDED
    if any(p.status == Payment.Status.PENDING for p in payments):
        return PaymentStatus.PENDING
    if not payments:
        return PaymentStatus.UNPAID
    if current in PAID_FAMILY:
        return PaymentStatus.FAILED
    return {
        Payment.Status.FAILED: PaymentStatus.FAILED,
        Payment.Status.EXPIRED: PaymentStatus.EXPIRED,
    }.get(payments[0].status, PaymentStatus.UNPAID)


def _payment_notes(order: Order, payments: list[Payment], payment: Payment) -> list[str]:
    """What an owner must act on when money arrives where it was not expected."""
    if payment.status != Payment.Status.PAID:
        return []
    notes = []
    if order.status == Order.Status.CANCELLED:
        notes.append("Paid after the order was cancelled: refund it.")
    if sum(p.status in Payment.PAID_STATUSES for p in payments) > 1:
        notes.append("Paid more than once: refund the extra payment.")
    for note in notes:
        logger.warning("Order %s, payment %s: %s", order.number, payment.gateway_order_id, note)
    return notes


def order_payment_sync(
    *,
    order: Order,
    payment: Payment | None = None,
    change: tuple[str, str] = ("", ""),
    actor: Actor | None = None,
) -> bool:
    """Bring the order's payment status in line with its payments; True if it moved.

    `payment` and `change` name the payment that just changed (from → to): that change is
    written as an OrderEvent even when the order's own status stays (a second attempt, a paid
    order paid again). When the order becomes paid, the receipt email is queued for after commit.
    """
    from orders.tasks import order_receipt_send_task

    actor = actor or _payment_actor.get()
    with transaction.atomic():
        order = _lock(order)
        payments = order_payment_list(order=order)
        old = order.payment_status
        target = order_payment_status_for(payments, current=old)
        payload = {}
        if payment is not None:
            payload = {
                "payment_id": payment.pk,
                "gateway": payment.gateway,
                "method": payment.method,
                "amount": str(payment.amount),
                "payment_from": change[0],
                "payment_to": change[1],
            }
            notes = _payment_notes(order, payments, payment)
            if notes:
                payload["note"] = " ".join(notes)
        paid_at = min(
            (p.paid_at for p in payments if p.status in Payment.PAID_STATUSES and p.paid_at),
            default=None,
        )
        was_cancelled = order.status == Order.Status.CANCELLED
        moved = _apply_payment_status(
            order, to_status=target, actor=actor, paid_at=paid_at, **payload
        )
        if not moved and payment is not None:
            _event(order, actor, OrderEvent.Kind.PAYMENT, old, old, **payload).save()
        if moved and target == PaymentStatus.PAID and not was_cancelled and order.customer_id:
            task_queue_on_commit(order_receipt_send_task, order.pk)
    return moved


def order_payment_changed(payment: Payment, old_status: str, new_status: str) -> None:
    """The payments registry handler for "order" references (see OrdersConfig.ready).

    Runs inside the transaction that changes the payment. A payment naming no order of its
    merchant is logged and left alone: the money is recorded on the payment either way.
    """
    reference = payment.reference_id
    order = (
        Order.objects.filter(merchant_id=payment.merchant_id, pk=int(reference)).first()
        if reference.isdigit() and len(reference) <= 18
        else None
    )
    if order is None:
        logger.error(
            "Payment %s names order %s, which merchant %s does not have",
            payment.gateway_order_id,
            reference,
            payment.merchant_id,
        )
        return
    order_payment_sync(order=order, payment=payment, change=(old_status, new_status))


def _ensure_payable(order: Order) -> None:
    if order.status == Order.Status.CANCELLED:
        raise Conflict(
            f"Order {order.number} is cancelled; it cannot be paid.", code="order_cancelled"
        )
    if order.payment_status == PaymentStatus.REFUNDED:
        raise Conflict(
            f"Order {order.number} was paid and refunded; ring up a new order to sell again.",
            code="order_refunded",
        )
    if order.payment_status in PAID_FAMILY:
        raise Conflict(
            f"Order {order.number} is already paid; there is nothing more to pay.",
            code="order_already_paid",
        )
    if order.total_amount <= 0:
        raise Conflict(
            f"Order {order.number} totals {order.total_amount}: there is nothing to pay.",
            code="nothing_to_pay",
        )


def order_payment_items(order: Order) -> list[LineItem]:
    """The lines the customer sees at the gateway: each order line at its base price, then the
    discount (negative), tax and service charge as lines of their own, so they add up to the
    order total exactly (subtotal − discount + tax + service)."""
    items = [
        LineItem(
            id=f"line-{item.pk}",
            name=item.product_name,
            price=item.base_price,
            quantity=item.quantity,
        )
        for item in order.items.all()
        if item.base_price
    ]
    extras = (
        ("discount", "Discount", -order.discount_amount),
        ("tax", "Tax", order.tax_amount),
        ("service", "Service charge", order.service_charge_amount),
    )
    items.extend(
        LineItem(id=key, name=name, price=amount) for key, name, amount in extras if amount
    )
    return items


@dataclass(frozen=True)
class PaymentStart:
    payment: Payment
    reused: bool  # an earlier, still valid Snap token of this order
    order: Order  # as read once the payment started (its payment status is the answer's)


def order_payment_start(*, order: Order, actor: Actor) -> PaymentStart:
    """A Midtrans Snap checkout for the order total (the same token again while it is valid).

    A gateway failure raises before anything is written, here or in payments.
    """
    order = (
        Order.objects.select_related("merchant", "customer")
        .prefetch_related(Prefetch("items", queryset=OrderItem.objects.order_by("pk")))
        .get(pk=order.pk)
    )
    _ensure_payable(order)
    known = {payment.pk for payment in order_payment_list(order=order)}
    customer = order.customer
    details = (
        CustomerDetails(first_name=customer.name, email=customer.email, phone=customer.phone)
        if customer
        else None
    )
    payment = payment_create_snap(
        merchant=order.merchant,
        reference_kind=Order.PAYMENT_REFERENCE_KIND,
        reference_id=str(order.pk),
        amount=order.total_amount,
        items=order_payment_items(order),
        customer=details,
    )
    reused = payment.pk in known
    order_payment_sync(
        order=order,
        payment=None if reused else payment,
        change=("", payment.status),
        actor=actor,
    )
    current = Order.objects.get(pk=order.pk)
    try:
        # Cancelled or paid (cash at the counter) while Midtrans was answering: the cancel queued
        # then may have run before this charge existed, so it is queued again for this one.
        _ensure_payable(current)
    except Conflict:
        _queue_cancel_open_payments(order)
        raise
    return PaymentStart(payment=payment, reused=reused, order=current)


def order_payment_check(*, order: Order, actor: Actor) -> Payment:
    """Ask the gateway about the order's open payment (or its newest one) and apply the answer;
    the order's payment status is brought in line too."""
    payments = order_payment_list(order=order)
    gateway_payments = [p for p in payments if p.gateway != Payment.Gateway.CASH]
    payment = next((p for p in gateway_payments if p.status == Payment.Status.PENDING), None)
    payment = payment or next(iter(gateway_payments), None) or next(iter(payments), None)
    if payment is None:
        raise Conflict(
            f"Order {order.number} has no payment yet; start one with create-payment.",
            code="no_payment",
        )
    with _acting(actor):
        payment = payment_check_status(payment=payment)
        order_payment_sync(order=order)
    return payment


def _open_payment(order: Order, verb: str) -> Payment:
    payments = order_payment_list(order=order)
    pending = next((p for p in payments if p.status == Payment.Status.PENDING), None)
    if pending is not None:
        return pending
    why = (
        f"its latest payment is {payments[0].get_status_display().lower()}"
        if payments
        else "it has no payment yet"
    )
    raise Conflict(
        f"Order {order.number} has no pending payment to {verb}: {why}.",
        code="no_pending_payment",
        details={"payment_status": order.payment_status},
    )


def order_payment_cancel(*, order: Order, actor: Actor) -> Payment:
    """Cancel the order's pending payment (at the gateway too); 409 when none is pending."""
    payment = _open_payment(order, "cancel")
    with _acting(actor):
        return payment_cancel(payment=payment)


def order_payment_expire(*, order: Order, actor: Actor) -> Payment:
    """Expire the order's pending payment now; a still-pending order is then cancelled and its
    stock released, as when a payment expires on its own. 409 when none is pending."""
    payment = _open_payment(order, "expire")
    with _acting(actor):
        return payment_expire(payment=payment)


def order_pay_cash(*, order: Order, amount_paid: Decimal, actor: Actor) -> CashReceipt:
    """Cash at the counter for the order's rounded amount; answers the change.

    The order row is locked, so a second tap (or a second till) finds it paid. A charge still
    open at a gateway is cancelled by a task queued for after commit.
    """
    with transaction.atomic():
        locked = _lock(order)
        _ensure_payable(locked)
        due = locked.rounded_amount if locked.rounded_amount > 0 else locked.total_amount
        with _acting(actor):
            receipt = payment_record_cash(
                merchant=locked.merchant,
                reference_kind=Order.PAYMENT_REFERENCE_KIND,
                reference_id=str(locked.pk),
                amount_due=due,
                amount_paid=amount_paid,
                cashier=actor.user,
            )
        _queue_cancel_open_payments(locked)
    return receipt


def order_payment_refund(
    *,
    order: Order,
    actor: Actor,
    reason: str,
    amount: Decimal | None = None,
    payment_id: int | None = None,
) -> Payment:
    """Refund all that is left of the order's payment, or `amount` of it; never more than was
    paid (400). An order paid more than once needs `payment_id` to say which payment."""
    payments = order_payment_list(order=order)
    if payment_id is not None:
        payment = next((p for p in payments if p.pk == payment_id), None)
        if payment is None:
            raise DomainError(
                f"Order {order.number} has no payment {payment_id}.",
                details={"payment_id": ["Not a payment of this order."]},
            )
    else:
        refundable = [p for p in payments if p.refundable_amount > 0]
        if not refundable:
            raise Conflict(
                f"Order {order.number} has nothing left to refund; its payment status is "
                f"{order.get_payment_status_display().lower()}.",
                code="nothing_to_refund",
            )
        if len(refundable) > 1:
            ids = [p.pk for p in refundable]
            raise Conflict(
                f"Order {order.number} was paid by {len(ids)} payments "
                f"({', '.join(map(str, ids))}); name the payment_id to refund.",
                code="payment_id_required",
                details={"payment_ids": ids},
            )
        payment = refundable[0]
    with _acting(actor):
        return payment_refund(payment=payment, amount=amount, reason=reason)


def order_cancel_open_payments(order_id: int) -> int:
    """Cancel every charge of the order still open at a gateway; returns how many.

    Run by `order_cancel_open_payments_task` after the order is cancelled or paid in cash. Safe
    to run again: a charge no longer pending (cancelled, paid, expired) is left alone. A gateway
    refusal (the charge was settled meanwhile, a wrong key) is logged and not raised: the charge
    stays pending for reconciliation. A gateway that may recover (timeout, network, outage, 5xx)
    does not stop the other charges; its error is raised at the end, so the task tries again.
    """
    order = Order.objects.select_related("merchant").filter(pk=order_id).first()
    if order is None:
        return 0
    cancelled = 0
    retry_error: Exception | None = None
    for payment in order_payment_list(order=order):
        if payment.status != Payment.Status.PENDING or payment.gateway == Payment.Gateway.CASH:
            continue
        try:
            payment_cancel(payment=payment)
        except (DomainError, OSError) as error:
            logger.warning(
                "Could not cancel payment %s of order %s at the gateway: %s",
                payment.gateway_order_id,
                order.number,
                getattr(error, "message", error),
            )
            if _gateway_may_recover(error):
                retry_error = retry_error or error
            continue
        cancelled += 1
    if retry_error is not None:
        raise retry_error
    return cancelled


def _gateway_may_recover(error: Exception) -> bool:
    """A timeout, a network failure, an outage page or a 5xx (or 429) is worth another try; a
    refusal (4xx) or a state conflict here is not."""
    if isinstance(error, OSError):
        return True
    if not isinstance(error, GatewayError):
        return False
    code = str(error.details.get("status_code", ""))
    return not code.isdigit() or int(code) >= 500 or int(code) == 429


def order_receipt_send(*, order_id: int) -> bool:
    """Email the paid receipt to the order's customer, at most once; True when it went out.

    `receipt_sent_at` is claimed by a conditional UPDATE before sending and released if sending
    fails, so a redelivered or retried task never sends twice after a success. Nothing goes to a
    cancelled order (money that came late is refunded instead), nor to a disabled customer.
    """
    from orders.receipts import order_receipt_context

    claimed = (
        Order.objects.filter(
            pk=order_id,
            receipt_sent_at__isnull=True,
            payment_status__in=PAID_FAMILY,
            customer__is_active=True,
        )
        .exclude(status=Order.Status.CANCELLED)
        .update(receipt_sent_at=timezone.now())
    )
    if not claimed:
        return False
    order = order_queryset().select_related("merchant").get(pk=order_id)
    try:
        send_templated_email(
            to=order.customer.email,
            template="order_receipt",
            context=order_receipt_context(order=order, payments=order_payment_list(order=order)),
            merchant=order.merchant,
        )
    except Exception:
        Order.objects.filter(pk=order_id).update(receipt_sent_at=None)  # let a retry send it
        raise
    return True
