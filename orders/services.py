"""Writes for orders: creation (pricing, stock), status workflow, payment status, release."""

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, IntegerField, Value, When
from django.utils import timezone

from catalog.models import Product
from customers.models import Customer
from customers.services import customer_get_or_create_by_email, customer_update
from merchants.errors import Conflict, DomainError
from merchants.models import Merchant, TableLocation
from orders.models import Order, OrderEvent, OrderItem, OrderNumberSequence
from orders.pricing import order_price

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
    """INV-YYYYMMDD-NNNN; the sequence row stays locked until the order commits, so no gaps."""
    sequence, _ = OrderNumberSequence.objects.get_or_create(merchant=merchant, day=day)
    OrderNumberSequence.objects.filter(pk=sequence.pk).update(last_number=F("last_number") + 1)
    number = OrderNumberSequence.objects.values_list("last_number", flat=True).get(pk=sequence.pk)
    return f"INV-{day:%Y%m%d}-{number:04d}"


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
    """Price every line on the server, reserve stock, number the order, all or nothing."""
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

        day = timezone.localtime(now, merchant.tzinfo).date()
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
        OrderItem.objects.bulk_create(
            [
                OrderItem(
                    order=order,
                    product=line.product,
                    product_name=line.product.name,
                    product_type=line.product.product_type,
                    base_price=line.quote.base,
                    final_price=line.quote.final,
                    promotion_id=line.quote.promotion.pk if line.quote.promotion else None,
                    promotion_name=line.quote.promotion.name if line.quote.promotion else "",
                    tax_percent=line.product.tax_percent,
                    service_charge_percent=line.product.service_charge_percent,
                    quantity=line.quantity,
                    reserved_quantity=line.quantity if line.product.track_stock else 0,
                    line_subtotal_amount=line.line_subtotal,
                    discount_amount=line.discount,
                    tax_amount=line.tax,
                    service_charge_amount=line.service_charge,
                    notes=line.notes,
                )
                for line in pricing.lines
            ]
        )
        _event(
            order, actor, OrderEvent.Kind.CREATED, "", order.status, total=str(order.total_amount)
        ).save()
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
            transaction.on_commit(lambda: _after_cancel(order.pk))
    return order


def _after_cancel(order_id: int) -> None:
    """Best effort: a charge still open at the gateway is cancelled after the order is."""
    from orders.hooks import order_cancelled

    for receiver in order_cancelled:
        try:
            receiver(order_id)
        except Exception:  # the order is cancelled either way; reconciliation catches up
            logger.exception("After-cancel step failed for order %s", order_id)


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
        order = _lock(order)
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
