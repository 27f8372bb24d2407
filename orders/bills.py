"""Open bills: a table's order while it is served. Lines are added and voided, the bill moves
to another table or is split in two, staff give a discount; every change prices the order
again (`order_reprice`) and leaves an `OrderEvent`.

A bill is open while the order is pending or confirmed, not paid in full, and no gateway
charge (Snap, QRIS) is in progress for it: that charge's amount would no longer match. Every
change locks the order row first, so two tills never change one bill at once; units of
tracked products are taken and given back only through catalog's `stock_reserve` and
`stock_release`, naming the order line.

Longer than 500 lines on purpose: the changes that touch lines or money share private checks
(`_ensure_open`, `_ensure_covers_paid`) and `order_reprice`; one module keeps each way a bill
can change beside the rules it must pass.
"""

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from catalog.services import StockKind, stock_release, stock_reserve
from merchants.actors import Actor
from merchants.errors import Conflict, DomainError, NotFound, PermissionDenied
from merchants.models import Membership, TableLocation
from merchants.money import fits_currency, format_money, precision_problem
from merchants.reports import local_today
from orders.models import Order, OrderEvent, OrderItem
from orders.pricing import (
    HUNDRED,
    ZERO,
    DiscountKind,
    OrderPricing,
    StaffDiscount,
    item_spec,
    order_totals,
)
from orders.selectors import order_payment_list
from orders.services import (
    LineInput,
    line_amounts,
    new_line_specs,
    order_amounts,
    order_event_build,
    order_item_build,
    order_lock,
    order_number_next,
    order_stock_lines,
)
from payments.models import Payment

Role = Membership.Role
OPEN_STATUSES = (Order.Status.PENDING, Order.Status.CONFIRMED)
LINE_AMOUNT_FIELDS = (
    "line_subtotal_amount",
    "discount_amount",
    "order_discount_amount",
    "tax_amount",
    "service_charge_amount",
)


def order_discount_rule(order: Order) -> StaffDiscount | None:
    if not order.staff_discount_kind:
        return None
    return StaffDiscount(kind=order.staff_discount_kind, value=order.staff_discount_value)


def order_reprice(order: Order, *, items: list[OrderItem] | None = None) -> OrderPricing:
    """Price the locked `order` again from its lines' snapshots and its staff discount, and
    save every amount that changed (lines and order). Leaves the lines on `order.item_list`."""
    if items is None:
        items = list(OrderItem.objects.filter(order=order).order_by("pk"))
    pricing = order_totals(
        lines=[item_spec(item) for item in items],
        currency=order.currency,
        prices_include_tax=order.prices_include_tax,
        discount=order_discount_rule(order),
    )
    changed = []
    for item, line in zip(items, pricing.lines, strict=True):
        amounts = line_amounts(line)
        if any(getattr(item, name) != value for name, value in amounts.items()):
            for name, value in amounts.items():
                setattr(item, name, value)
            changed.append(item)
    if changed:
        OrderItem.objects.bulk_update(changed, LINE_AMOUNT_FIELDS)
    for name, value in order_amounts(pricing).items():
        setattr(order, name, value)
    order.save(update_fields=[*order_amounts(pricing), "updated_at"])
    order.item_list = items
    return pricing


def _ensure_open(order: Order, doing: str) -> list[Payment]:
    """The order's payments, once it is sure the bill may change; a 409 saying why not."""
    if order.status not in OPEN_STATUSES:
        raise Conflict(
            gettext(
                "Order %(number)s is %(status)s; only a pending or confirmed bill can %(doing)s."
            )
            % {"number": order.number, "status": order.status, "doing": doing},
            code="order_closed",
        )
    if order.is_settled:
        raise Conflict(
            gettext("Order %(number)s is already paid; ring up a new order instead.")
            % {"number": order.number},
            code="order_already_paid",
        )
    payments = order_payment_list(order=order)
    if any(p.status == Payment.Status.PENDING for p in payments):
        raise Conflict(
            gettext(
                "Order %(number)s has a payment in progress at the gateway; cancel it "
                "(or let it finish) before the bill can %(doing)s."
            )
            % {"number": order.number, "doing": doing},
            code="payment_in_progress",
        )
    return payments


def _ensure_covers_paid(order: Order) -> None:
    if order.total_amount < order.amount_paid:
        paid = format_money(order.amount_paid, order.currency)
        raise Conflict(
            gettext(
                "Order %(number)s has %(paid)s paid already; the bill cannot fall "
                "below it. Refund a payment first."
            )
            % {"number": order.number, "paid": paid},
            code="below_amount_paid",
        )


def order_lines_add(*, order: Order, lines: list[LineInput], actor: Actor) -> Order:
    """Add lines to an open bill: priced now like a new order's lines (options, promotions),
    tracked stock taken for them (409 naming the product when short, nothing written), the
    order priced again."""
    merchant = order.merchant
    now = timezone.now()
    specs = new_line_specs(merchant=merchant, lines=lines, at=now)
    with transaction.atomic():
        order = order_lock(order)
        _ensure_open(order, "take more lines")
        priced = order_totals(
            lines=specs, currency=order.currency, prices_include_tax=order.prices_include_tax
        )
        added = OrderItem.objects.bulk_create(
            [order_item_build(order=order, line=line) for line in priced.lines]
        )
        taken = stock_reserve(
            lines=order_stock_lines(added),
            actor=actor,
            reason=f"Order {order.number}: lines added",
            order_id=order.pk,
            kind=StockKind.SALE,
        )
        if taken and not order.stock_reserved:
            order.stock_reserved = True
            order.save(update_fields=["stock_reserved", "updated_at"])
        order_reprice(order)
        order_event_build(
            order,
            actor,
            OrderEvent.Kind.LINES_ADDED,
            lines=[_line_payload(item) for item in added],
            total=str(order.total_amount),
        ).save()
    return order


def _line_payload(item: OrderItem, quantity: int | None = None) -> dict:
    return {
        "line_id": item.pk,
        "product": item.product_name,
        "quantity": item.quantity if quantity is None else quantity,
        "modifiers": [choice["name"] for choice in item.modifiers],
    }


def _role_is_owner(role: int) -> bool:
    return role >= Role.OWNER


def order_line_void(*, order: Order, line_id: int, reason: str, actor: Actor, role: int) -> Order:
    """Take a line off an open bill: its units go back to stock once (ledger kind "void"), the
    line is kept as voided (who, when, why) and the order is priced again.

    Officers void lines while the order is pending; once it is confirmed (the kitchen has it)
    only an owner can (`role`). A voided line, or one of another order, is a 404; the last
    line is a 409 (cancel the order instead).
    """
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            gettext("Give a reason for voiding the line."),
            details={"reason": [gettext("Required.")]},
        )
    with transaction.atomic():
        order = order_lock(order)
        _ensure_open(order, "void a line")
        if order.status == Order.Status.CONFIRMED and not _role_is_owner(role):
            raise PermissionDenied(
                gettext("Order %(number)s is confirmed: only an owner can void its lines now.")
                % {"number": order.number}
            )
        items = list(OrderItem.objects.select_for_update().filter(order=order).order_by("pk"))
        item = next((i for i in items if i.pk == line_id), None)
        if item is None:
            raise NotFound(
                gettext("Order %(number)s has no line %(line_id)s to void.")
                % {"number": order.number, "line_id": line_id}
            )
        if len(items) == 1:
            raise Conflict(
                gettext(
                    "%(product_name)s is the last line of order %(number)s; cancel the "
                    "order instead."
                )
                % {"product_name": item.product_name, "number": order.number},
                code="last_line",
            )
        returned = stock_release(
            lines=order_stock_lines([item]),
            actor=actor,
            reason=f"Order {order.number}: line voided ({reason})",
            order_id=order.pk,
            kind=StockKind.VOID,
        )
        amount = item.line_subtotal_amount
        item.reserved_quantity = 0
        item.voided_at = timezone.now()
        item.voided_by = actor.label
        item.void_reason = reason
        item.save(update_fields=["reserved_quantity", "voided_at", "voided_by", "void_reason"])
        order_reprice(order, items=[i for i in items if i.pk != line_id])
        _ensure_covers_paid(order)
        order_event_build(
            order,
            actor,
            OrderEvent.Kind.LINE_VOIDED,
            **_line_payload(item),
            amount=str(amount),
            reason=reason,
            stock_returned={str(k): v for k, v in returned.items()},
            total=str(order.total_amount),
        ).save()
    return order


def order_move(*, order: Order, table: TableLocation, actor: Actor) -> Order:
    """Move a pending or confirmed order to another active table of the merchant."""
    if table.merchant_id != order.merchant_id or not table.is_active:
        raise DomainError(
            gettext("Table %(number)s is not taking orders.") % {"number": table.number},
            details={"table_id": [gettext("Inactive.")]},
        )
    with transaction.atomic():
        order = order_lock(order)
        if order.status not in OPEN_STATUSES:
            raise Conflict(
                gettext(
                    "Order %(number)s is %(status)s; only a pending or confirmed order "
                    "moves to another table."
                )
                % {"number": order.number, "status": order.status},
                code="order_closed",
            )
        if order.table_id == table.pk:
            raise DomainError(
                gettext("Order %(number)s is already at table %(number2)s.")
                % {"number": order.number, "number2": table.number},
                details={"table_id": [gettext("The order's own table.")]},
            )
        old = order.table.number if order.table_id else ""
        order.table = table
        order.save(update_fields=["table", "updated_at"])
        order_event_build(
            order, actor, OrderEvent.Kind.MOVED, from_table=old, to_table=table.number
        ).save()
    return order


@dataclass(frozen=True)
class SplitLine:
    line_id: int
    quantity: int


@dataclass(frozen=True)
class SplitResult:
    order: Order  # the bill split from, priced again
    new_order: Order


def order_split(*, order: Order, lines: list[SplitLine], actor: Actor) -> SplitResult:
    """Move these quantities of the bill's lines to a new order at the same table: lines wholly
    moved change order, lines partly moved are shared (their units held stay with the units);
    both bills are priced again, stock does not change, and both get a `split` event.

    Only a bill with no payment yet can be split (pay each part after); the staff discount, if
    any, stays with the bill split from.
    """
    if not lines:
        raise DomainError(
            gettext("Name the lines to move to the new bill."),
            details={"lines": [gettext("Empty.")]},
        )
    wanted = Counter()
    for line in lines:
        wanted[line.line_id] += line.quantity
    with transaction.atomic():
        order = order_lock(order)
        payments = _ensure_open(order, "be split")
        if order.amount_paid > 0 or any(p.status in Payment.PAID_STATUSES for p in payments):
            raise Conflict(
                gettext("Order %(number)s has payments already; split a bill before it is paid.")
                % {"number": order.number},
                code="order_has_payments",
            )
        items = {
            item.pk: item
            for item in OrderItem.objects.select_for_update().filter(order=order).order_by("pk")
        }
        problems = {}
        for line_id, quantity in wanted.items():
            item = items.get(line_id)
            if item is None:
                problems[str(line_id)] = f"Order {order.number} has no line {line_id}."
            elif not 1 <= quantity <= item.quantity:
                problems[str(line_id)] = (
                    f"{item.product_name} has {item.quantity}; move 1 to {item.quantity}, "
                    f"not {quantity}."
                )
        if problems:
            raise DomainError(next(iter(problems.values())), details={"lines": problems})
        if all(wanted.get(pk, 0) == item.quantity for pk, item in items.items()):
            raise DomainError(
                gettext(
                    "Leave at least one unit on the bill; to move all of it, move the order to "
                    "another table instead."
                ),
                details={"lines": [gettext("Everything would move.")]},
            )

        now = timezone.now()
        day = local_today(order.merchant, now)
        new_order = Order.objects.create(
            merchant=order.merchant,
            number=order_number_next(merchant=order.merchant, day=day),
            business_date=day,
            customer=order.customer,
            table=order.table,
            created_by=actor.user,
            order_type=order.order_type,
            guest_count=1,
            status=order.status,
            confirmed_at=order.confirmed_at,
            currency=order.currency,
            prices_include_tax=order.prices_include_tax,
            split_from=order,
        )
        moved_whole, shared, new_items, moved = [], [], [], []
        for line_id, quantity in wanted.items():
            item = items[line_id]
            if quantity == item.quantity:
                item.order = new_order
                moved_whole.append(item)
                moved.append(_line_payload(item))
                continue
            held = min(item.reserved_quantity, quantity)
            copy = OrderItem(
                **{
                    f.attname: getattr(item, f.attname)
                    for f in OrderItem._meta.concrete_fields
                    if f.attname not in ("id", "order_id")
                }
            )
            copy.order, copy.quantity, copy.reserved_quantity = new_order, quantity, held
            item.quantity -= quantity
            item.reserved_quantity -= held
            shared.append(item)
            new_items.append(copy)
            moved.append(_line_payload(item, quantity))
        OrderItem.objects.bulk_update(moved_whole, ["order"])
        OrderItem.objects.bulk_update(shared, ["quantity", "reserved_quantity"])
        created = OrderItem.objects.bulk_create(new_items)

        remaining = [item for item in items.values() if item.order_id == order.pk]
        ordered_new = sorted([*moved_whole, *created], key=lambda i: i.pk)
        for bill, bill_items in ((order, remaining), (new_order, ordered_new)):
            bill.stock_reserved = any(item.reserved_quantity > 0 for item in bill_items)
            bill.save(update_fields=["stock_reserved", "updated_at"])
            order_reprice(bill, items=bill_items)
        order_event_build(
            order,
            actor,
            OrderEvent.Kind.SPLIT,
            to_order=new_order.number,
            lines=moved,
            total=str(order.total_amount),
        ).save()
        order_event_build(
            new_order,
            actor,
            OrderEvent.Kind.SPLIT,
            "",
            new_order.status,
            from_order=order.number,
            lines=moved,
            total=str(new_order.total_amount),
        ).save()
    return SplitResult(order=order, new_order=new_order)


def _discount_checked(order: Order, *, kind: str, value: Decimal) -> None:
    if kind not in (DiscountKind.PERCENT, DiscountKind.AMOUNT):
        raise DomainError(
            gettext("kind is percent or amount."),
            details={"kind": [gettext("Choose percent or amount.")]},
        )
    if value <= 0:
        raise DomainError(gettext("A discount is more than zero."), details={"value": ["> 0"]})
    if kind == DiscountKind.PERCENT and value > HUNDRED:
        raise DomainError(
            gettext("A percent discount is at most 100."), details={"value": ["≤ 100"]}
        )
    if kind == DiscountKind.AMOUNT and not fits_currency(value, order.currency):
        problem = precision_problem(value, order.currency)
        raise DomainError(problem, details={"value": [problem]})


def _discount_save(order: Order, *, kind: str, value: Decimal | None, reason: str) -> None:
    order.staff_discount_kind, order.staff_discount_value = kind, value
    order.staff_discount_reason = reason
    order.save(
        update_fields=[
            "staff_discount_kind",
            "staff_discount_value",
            "staff_discount_reason",
            "updated_at",
        ]
    )


def order_discount_set(
    *, order: Order, kind: str, value: Decimal, reason: str, actor: Actor, role: int
) -> Order:
    """Give (or replace) the discount on the whole bill: `value` percent or `value` off, after
    promotions and before tax and service (tax is charged on the discounted amount).

    Officers may give up to the merchant's `officer_max_discount_percent` of the bill (an
    amount counts as the percent of the bill it is); owners any (`role`). An amount above
    the bill is a 400.
    """
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            gettext("Give a reason for the discount."),
            details={"reason": [gettext("Required.")]},
        )
    _discount_checked(order, kind=kind, value=value)
    with transaction.atomic():
        order = order_lock(order)
        _ensure_open(order, "be discounted")
        items = list(OrderItem.objects.filter(order=order).order_by("pk"))
        bill = sum((item.final_price * item.quantity for item in items), ZERO)
        if kind == DiscountKind.AMOUNT and value > bill:
            raise DomainError(
                gettext("A discount of %(format_money)s is more than the bill (%(format_money2)s).")
                % {
                    "format_money": format_money(value, order.currency),
                    "format_money2": format_money(bill, order.currency),
                },
                details={"value": [gettext("at most %(amount)s") % {"amount": bill}]},
            )
        percent = value if kind == DiscountKind.PERCENT else value * HUNDRED / bill
        limit = order.merchant.officer_max_discount_percent
        if not _role_is_owner(role) and percent > limit:
            asked = percent.quantize(Decimal("0.01")).normalize()
            raise PermissionDenied(
                gettext(
                    "Officers may give at most %(normalize)s%% off at %(name)s; this is "
                    "%(asked)s%%. Ask an owner."
                )
                % {
                    "normalize": format(limit.normalize(), "f"),
                    "name": order.merchant.name,
                    "asked": format(asked, "f"),
                }
            )
        _discount_save(order, kind=kind, value=value, reason=reason)
        order_reprice(order, items=items)
        _ensure_covers_paid(order)
        order_event_build(
            order,
            actor,
            OrderEvent.Kind.DISCOUNT,
            discount_kind=kind,
            value=str(value),
            reason=reason,
            amount=str(order.staff_discount_amount),
            total=str(order.total_amount),
        ).save()
    return order


def order_discount_remove(*, order: Order, actor: Actor) -> Order:
    """Take the staff discount off the bill (409 when there is none)."""
    with transaction.atomic():
        order = order_lock(order)
        _ensure_open(order, "change its discount")
        if not order.staff_discount_kind:
            raise Conflict(
                gettext("Order %(number)s has no discount to remove.") % {"number": order.number},
                code="no_discount",
            )
        _discount_save(order, kind="", value=None, reason="")
        order_reprice(order)
        order_event_build(
            order, actor, OrderEvent.Kind.DISCOUNT, removed=True, total=str(order.total_amount)
        ).save()
    return order
