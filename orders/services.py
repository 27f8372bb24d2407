"""Writes for orders: creation (pricing, stock), the status workflow, stock release, and
cancelling unpaid orders. The order side of payments is in `orders/payments.py` (gateway charges,
refunds), `orders/payment_status.py` and `orders/tenders.py`; the receipt email in
`orders/receipts.py`."""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from catalog.models import Product
from catalog.modifiers import ModifierSelection, modifier_choices_resolve, with_modifier_flag
from catalog.stock import (
    StockKind,
    StockLine,
    stock_check,
    stock_record,
    stock_release,
    stock_reserve,
)
from customers.models import Customer
from customers.services import customer_get_or_create_by_email, customer_update
from merchants.actors import SYSTEM, Actor
from merchants.errors import Conflict, DomainError
from merchants.models import Merchant, TableLocation
from merchants.outbox import task_queue_on_commit
from merchants.reports import local_today
from orders.models import Order, OrderEvent, OrderItem, OrderNumberSequence
from orders.pricing import LineSpec, OrderPricing, PricedLine, line_specs, order_totals

logger = logging.getLogger(__name__)

MAX_LINES = 100
MAX_QUANTITY = 999


@dataclass(frozen=True)
class LineInput:
    product_id: int
    quantity: int
    notes: str = ""
    modifier_option_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class CustomerInput:
    customer_id: int | None = None
    email: str = ""
    name: str = ""
    phone: str = ""
    extra: dict = field(default_factory=dict)


def order_event_build(
    order: Order, actor: Actor, kind: str, old: str = "", new: str = "", **payload
) -> OrderEvent:
    """An unsaved line of the order's history: what happened, from → to, and who did it."""
    return OrderEvent(
        order=order,
        kind=kind,
        from_status=old,
        to_status=new,
        actor=actor.user,
        actor_label=actor.label,
        payload=payload,
    )


def order_number_next(*, merchant: Merchant, day) -> str:
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
    products = {
        p.pk: p for p in with_modifier_flag(Product.objects.filter(merchant=merchant, pk__in=ids))
    }
    missing = sorted(ids - products.keys())
    if missing:
        raise DomainError(
            gettext("No such product: %(join)s.") % {"join": ", ".join(map(str, missing))},
            details={"lines": {"unknown_product_ids": missing}},
        )
    closed = [p for p in products.values() if not (p.is_active and p.is_available)]
    if closed:
        names = ", ".join(sorted(p.name for p in closed))
        raise DomainError(
            gettext("Not available for sale right now: %(names)s.") % {"names": names},
            details={"lines": {"unavailable_product_ids": sorted(p.pk for p in closed)}},
        )
    return products


def _resolve_customer(*, merchant: Merchant, data: CustomerInput) -> Customer | None:
    if data.customer_id:
        customer = Customer.objects.filter(merchant=merchant, pk=data.customer_id).first()
        if customer is None:
            raise DomainError(
                gettext("No such customer: %(customer_id)s.") % {"customer_id": data.customer_id},
                details={"customer_id": [gettext("Not found.")]},
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
    """An unsaved line of `order`, snapshotting the product, its options and its price as
    priced now, so later catalog changes never alter it. `reserve`: tracked stock is held by
    this line."""
    spec = line.spec
    promotion = spec.quote.promotion
    return OrderItem(
        order=order,
        product=spec.product,
        product_name=spec.product.name,
        product_type=spec.product.product_type,
        base_price=spec.unit_base,
        final_price=spec.unit_final,
        modifiers=[choice.snapshot() for choice in spec.modifiers],
        promotion_id=promotion.pk if promotion else None,
        promotion_name=promotion.name if promotion else "",
        tax_percent=spec.tax_percent,
        service_charge_percent=spec.service_charge_percent,
        quantity=spec.quantity,
        reserved_quantity=spec.quantity if reserve and spec.product.track_stock else 0,
        notes=spec.notes,
        **line_amounts(line),
    )


def line_amounts(line: PricedLine) -> dict:
    """The money columns of an order line as priced."""
    return {
        "line_subtotal_amount": line.line_subtotal,
        "discount_amount": line.discount,
        "order_discount_amount": line.order_discount,
        "tax_amount": line.tax,
        "service_charge_amount": line.service_charge,
    }


def order_amounts(pricing: OrderPricing) -> dict:
    """The money columns of an order as priced."""
    return {
        "subtotal_amount": pricing.subtotal,
        "discount_amount": pricing.discount,
        "staff_discount_amount": pricing.staff_discount,
        "tax_amount": pricing.tax,
        "service_charge_amount": pricing.service_charge,
        "total_amount": pricing.total,
        "rounded_amount": pricing.rounded,
    }


def _check_lines(lines: list[LineInput]) -> None:
    if not lines:
        raise DomainError(
            gettext("An order needs at least one line."),
            details={"lines": [gettext("Empty.")]},
        )
    if len(lines) > MAX_LINES:
        raise DomainError(
            gettext("An order has at most %(max_lines)s lines.") % {"max_lines": MAX_LINES}
        )
    for line in lines:
        if not 1 <= line.quantity <= MAX_QUANTITY:
            raise DomainError(
                gettext("Quantities are 1 to %(max_quantity)s; got %(quantity)s.")
                % {"max_quantity": MAX_QUANTITY, "quantity": line.quantity}
            )


def _check_table(*, merchant: Merchant, table: TableLocation | None) -> None:
    if table is not None and (table.merchant_id != merchant.pk or not table.is_active):
        raise DomainError(
            gettext("Table %(number)s is not taking orders.") % {"number": table.number},
            details={"table_id": [gettext("Inactive.")]},
        )


def new_line_specs(*, merchant: Merchant, lines: list[LineInput], at=None) -> list[LineSpec]:
    """Check and price new lines: products (one query), the products' modifier groups and the
    options chosen (one query each; none for options when none were chosen), promotions (one
    query). A 400 names the line and the group when options break a group's rule."""
    _check_lines(lines)
    products = _load_products(merchant=merchant, lines=lines)
    choices = modifier_choices_resolve(
        merchant=merchant,
        selections=[
            ModifierSelection(products[line.product_id], line.modifier_option_ids) for line in lines
        ],
    )
    return line_specs(
        lines=[
            (products[line.product_id], line.quantity, line.notes, chosen)
            for line, chosen in zip(lines, choices, strict=True)
        ],
        currency=merchant.currency,
        at=at,
    )


def order_quote(
    *, merchant: Merchant, lines: list[LineInput], table: TableLocation | None = None
) -> OrderPricing:
    """What `order_create` would charge for these lines now, without writing anything: the
    same checks (products, options, stock as it stands, the table) and the same sums."""
    _check_table(merchant=merchant, table=table)
    specs = new_line_specs(merchant=merchant, lines=lines)
    stock_check(wanted=[(spec.product, spec.quantity) for spec in specs])
    return order_totals(
        lines=specs, currency=merchant.currency, prices_include_tax=merchant.prices_include_tax
    )


def order_preview(
    *, merchant: Merchant, lines: list[LineInput], table: TableLocation | None = None
) -> Order:
    """`order_quote` as an unsaved order with its unsaved lines (`item_list`), built by the
    same code that builds the real ones, so both answers are the same to the rupiah."""
    pricing = order_quote(merchant=merchant, lines=lines, table=table)
    order = Order(
        merchant=merchant,
        table=table,
        currency=merchant.currency,
        prices_include_tax=pricing.prices_include_tax,
        **order_amounts(pricing),
    )
    order.item_list = [order_item_build(order=order, line=line) for line in pricing.lines]
    return order


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
    _check_table(merchant=merchant, table=table)
    now = timezone.now()
    specs = new_line_specs(merchant=merchant, lines=lines, at=now)
    with transaction.atomic():
        if isinstance(customer, CustomerInput):
            customer = _resolve_customer(merchant=merchant, data=customer)
        pricing = order_totals(
            lines=specs, currency=merchant.currency, prices_include_tax=merchant.prices_include_tax
        )
        # Taken before the order is numbered, so a refusal costs no number; the ledger is
        # written once the lines exist, so each movement names its order line.
        taken = stock_reserve(
            lines=[
                StockLine(product_id=spec.product.pk, quantity=spec.quantity)
                for spec in specs
                if spec.product.track_stock
            ],
            actor=actor,
            reason="Sold",
            kind=StockKind.SALE,
            record=False,
        )

        day = local_today(merchant, now)
        order = Order.objects.create(
            merchant=merchant,
            number=order_number_next(merchant=merchant, day=day),
            business_date=day,
            customer=customer,
            table=table,
            created_by=actor.user,
            order_type=order_type,
            guest_count=guest_count,
            notes=notes,
            currency=merchant.currency,
            prices_include_tax=pricing.prices_include_tax,
            stock_reserved=bool(taken),
            **order_amounts(pricing),
        )
        items = OrderItem.objects.bulk_create(
            [order_item_build(order=order, line=line) for line in pricing.lines]
        )
        if taken:
            stock_record(
                merchant_id=merchant.pk,
                lines=order_stock_lines(items),
                actor=actor,
                reason=f"Order {order.number}",
                order_id=order.pk,
            )
        created = order_event_build(
            order, actor, OrderEvent.Kind.CREATED, "", order.status, total=str(order.total_amount)
        )
        created.save()
    # As `order_queryset(with_events=True)` would read them back, without reading them back.
    order.item_list, order.event_list = items, [created]
    return order


def order_stock_lines(items: list[OrderItem]) -> list[StockLine]:
    """The units the lines hold, as catalog's stock functions take them (naming each line)."""
    return [
        StockLine(
            product_id=item.product_id, quantity=item.reserved_quantity, order_line_id=item.pk
        )
        for item in items
        if item.reserved_quantity > 0
    ]


def order_lock(order: Order) -> Order:
    """The order row, locked until the transaction ends (every change of status takes it)."""
    return Order.objects.select_for_update().get(pk=order.pk)


def _allowed_message(order: Order, target: str) -> str:
    allowed = order.allowed_next_statuses()
    return f"Order {order.number} is {order.status} and cannot become {target}; " + (
        f"allowed: {', '.join(allowed)}." if allowed else "it is final."
    )


def order_transition(*, order: Order, to_status: str, actor: Actor, reason: str = "") -> Order:
    """Move an order along its workflow; forbidden moves are a 409 that lists the allowed ones."""
    with transaction.atomic():
        order = order_lock(order)
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
        order_event_build(
            order, actor, OrderEvent.Kind.STATUS, old, to_status, reason=reason
        ).save()
        if to_status == Order.Status.CANCELLED:
            order_release_stock(order=order, actor=actor)
            order_cancel_open_payments_on_commit(order)
    return order


def order_cancel_open_payments_on_commit(order: Order) -> None:
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
        held = OrderItem.objects.filter(order_id=order.pk, reserved_quantity__gt=0).only(
            "pk", "product_id", "reserved_quantity"
        )
        quantities = stock_release(
            lines=order_stock_lines(list(held)),
            actor=actor,
            reason=f"Order {order.number} cancelled",
            order_id=order.pk,
            kind=StockKind.CANCEL,
        )
        order.stock_reserved = False
        order_event_build(
            order,
            actor,
            OrderEvent.Kind.STOCK_RELEASED,
            payload_units={str(k): v for k, v in quantities.items()},
        ).save()
    return True


def order_cancel_unpaid(*, now=None) -> list[str]:
    """Cancel pending orders left unpaid past ORDER_PAYMENT_TIMEOUT_MINUTES (none of it paid);
    returns their numbers."""
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
        # A bill part paid (one tender of several taken) is being settled, not abandoned.
        amount_paid=0,
    ).only("pk", "number", "status")
    cancelled = []
    for order in stale.iterator():
        try:
            order_cancel(order=order, actor=SYSTEM, reason="not paid in time")
        except Conflict:
            continue  # moved on meanwhile (paid, confirmed or cancelled by someone)
        cancelled.append(order.number)
    return cancelled
