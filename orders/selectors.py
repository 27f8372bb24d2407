"""Reads for orders."""

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext

from catalog.models import Product
from customers.models import Customer
from merchants.models import Merchant, TableLocation
from merchants.money import cash_step, money_str, round_for_cash
from orders.models import Order, OrderEvent, OrderItem
from payments.models import Payment, PaymentMethod
from payments.selectors import payment_list_for_reference
from payments.shifts import DEFAULT_REGISTER


def order_queryset(*, with_events: bool = False) -> QuerySet[Order]:
    """Orders with what the API shows, in a constant number of queries.

    Each order has `item_list` (its lines in order) and, `with_events`, `event_list` (oldest
    first): plain lists, as `order_create` also leaves them on the order it returns.
    """
    queryset = Order.objects.select_related("customer", "table", "created_by").prefetch_related(
        Prefetch("items", queryset=OrderItem.objects.order_by("pk"), to_attr="item_list")
    )
    if with_events:
        queryset = queryset.prefetch_related(
            Prefetch(
                "events",
                queryset=OrderEvent.objects.select_related(None).order_by("created_at", "pk"),
                to_attr="event_list",
            )
        )
    return queryset


def order_payment_list(*, order: Order) -> list[Payment]:
    """Every payment attempt of the order, newest first."""
    return list(
        payment_list_for_reference(
            merchant=order.merchant,
            reference_kind=Order.PAYMENT_REFERENCE_KIND,
            reference_id=str(order.pk),
        )
    )


def order_attach_payments(orders: Iterable[Order]) -> None:
    """Set `order.payment_list` (newest first) on each order with one query for all of them.

    Payments name their order by (reference kind, id) rather than a foreign key, so Django's
    prefetching cannot do this.
    """
    orders = list(orders)
    by_reference: dict[tuple[int, str], list[Payment]] = {}
    if orders:
        payments = (
            Payment.objects.filter(
                merchant_id__in={order.merchant_id for order in orders},
                reference_kind=Order.PAYMENT_REFERENCE_KIND,
                reference_id__in=[str(order.pk) for order in orders],
            )
            .select_related("payment_method")
            .order_by("-created_at", "-pk")
        )
        for payment in payments:
            by_reference.setdefault((payment.merchant_id, payment.reference_id), []).append(payment)
    for order in orders:
        order.payment_list = by_reference.get((order.merchant_id, str(order.pk)), [])


def order_detail_get(*, pk: int) -> Order:
    """One order with its items, events and payments, as the detail answer shows it."""
    order = order_queryset(with_events=True).get(pk=pk)
    order_attach_payments([order])
    return order


# What a search of orders looks in (the API's and the admin's search_fields), as answered
# by order_search.
ORDER_SEARCH_FIELDS = ("number", "customer__email", "customer__name")
# Beyond this many customers matching a term, they are matched through the join instead.
SEARCH_CUSTOMER_LIMIT = 500


def order_search(
    queryset: QuerySet[Order], *, terms: Iterable[str], merchant_ids: Iterable[int] | None
) -> QuerySet[Order]:
    """The orders of `queryset` matching every term, each in the order's number or in its
    customer's email or name (any case, anywhere): DRF's and Django's search over
    ORDER_SEARCH_FIELDS, in a shape PostgreSQL can answer from indexes.

    That search tests three columns of every order joined to its customer (70 ms a query on
    a year of one shop's orders). Here the customers matching a term are found first among
    the customers of `merchant_ids` (all when None), then the orders by number (the trigram
    index `order_number_trgm`) or by one of those customers (the customer index).
    """
    customers = Customer.objects.order_by()  # ids only: no sorting by merchant name
    if merchant_ids is not None:
        customers = customers.filter(merchant_id__in=list(merchant_ids))
    for term in terms:
        ids = list(
            customers.filter(Q(email__icontains=term) | Q(name__icontains=term)).values_list(
                "pk", flat=True
            )[: SEARCH_CUSTOMER_LIMIT + 1]
        )
        if len(ids) > SEARCH_CUSTOMER_LIMIT:
            by_customer = Q(customer__email__icontains=term) | Q(customer__name__icontains=term)
        else:
            by_customer = Q(customer_id__in=ids)
        queryset = queryset.filter(Q(number__icontains=term) | by_customer)
    return queryset


def order_reference_labels(refs: list[tuple[int, str]]) -> dict[tuple[int, str], tuple[str, str]]:
    """The payments admin's labels for orders: (merchant id, order id) → (number, admin URL).
    One query; an id of another merchant than the payment's is not matched."""
    from django.urls import reverse

    ids = {int(ref) for _, ref in refs if ref.isdigit() and len(ref) <= 18}
    rows = Order.objects.filter(pk__in=ids).values_list("pk", "merchant_id", "number")
    return {
        (merchant_id, str(pk)): (number, reverse("admin:orders_order_change", args=[pk]))
        for pk, merchant_id, number in rows
    }


def order_create_example(*, merchant: Merchant) -> dict | None:
    """A body for `POST /orders` that posts as it is: one of the merchant's products a cashier
    could sell now with no choice to make (no required modifier group), or None."""
    product = (
        Product.objects.filter(merchant=merchant, is_active=True, is_available=True)
        .exclude(modifier_links__group__min_select__gt=0, modifier_links__group__is_active=True)
        .exclude(track_stock=True, stock__lt=1)
        .order_by("sort_order", "pk")
        .only("pk")
        .first()
    )
    if product is None:
        return None
    return {
        "lines": [{"product_id": product.pk, "qty": 1, "notes": "", "modifier_option_ids": []}],
        "order_type": "takeaway",
        "notes": "",
    }


def order_payment_needs(*, order: Order, with_methods: bool = False) -> dict:
    """What paying `order` needs now: what is due, what cash pays, and (for tenders) the
    merchant's active payment methods."""
    due = order.amount_due
    needs = {
        "currency": order.currency,
        "total_amount": order.total_amount,
        "amount_due": due,
        "amount_paid": order.amount_paid,
        "cash_due": round_for_cash(due, order.currency),
    }
    if with_methods:
        needs["payment_methods"] = list(
            PaymentMethod.objects.filter(merchant_id=order.merchant_id, is_active=True)
            .order_by("sort_order", "pk")
            .values("id", "name", "kind")
        )
    return needs


def order_action_example(*, order: Order, action: str, is_owner: bool) -> dict | None:
    """A body for one of an open bill's actions (`split`, `discount`, `move`, `pay_cash`,
    `tender`, `void_line`, `refund`) that posts as it is, built from the order, its lines,
    the merchant's tables and payment methods and the order's payments: the browsable API's
    forms start from it. None when the order offers nothing to build it from."""
    builder = _ACTION_EXAMPLES.get(action)
    return builder(order, is_owner) if builder else None


def _split_example(order: Order, is_owner: bool) -> dict | None:
    # One unit of the first line: valid on any bill of more than one unit (split keeps one).
    line = OrderItem.objects.filter(order=order).order_by("pk").only("pk").first()
    return {"lines": [{"line_id": line.pk, "qty": 1}]} if line else None


def _discount_example(order: Order, is_owner: bool) -> dict:
    percent = Decimal(10)
    limit = order.merchant.officer_max_discount_percent
    if not is_owner and 0 < limit < percent:
        percent = limit  # an officer's example stays within what they may give
    return {
        "kind": Order.DiscountKind.PERCENT.value,
        "value": format(percent.normalize(), "f"),
        "reason": gettext("Regular customer"),
    }


def _move_example(order: Order, is_owner: bool) -> dict | None:
    table = (
        TableLocation.objects.filter(merchant_id=order.merchant_id, is_active=True)
        .exclude(pk=order.table_id)
        .order_by("number", "pk")
        .only("pk")
        .first()
    )
    return {"table_id": table.pk} if table else None


def _pay_cash_example(order: Order, is_owner: bool) -> dict:
    needs = order_payment_needs(order=order)
    return {"amount_paid": money_str(needs["cash_due"]), "register": DEFAULT_REGISTER}


def _tender_example(order: Order, is_owner: bool) -> dict | None:
    methods = list(
        PaymentMethod.objects.filter(merchant_id=order.merchant_id, is_active=True)
        .order_by("sort_order", "pk")
        .only("pk", "kind")
    )
    # Posting the example records a tender; it should not also start a charge at a gateway.
    method = next((m for m in methods if m.kind not in PaymentMethod.GATEWAY_KINDS), None)
    method = method or (methods[0] if methods else None)
    if method is None:
        return None
    needs = order_payment_needs(order=order)
    amount = needs["cash_due"] if method.kind == PaymentMethod.Kind.CASH else needs["amount_due"]
    return {
        "method_id": method.pk,
        "amount": money_str(amount),
        "reference": "",
        "register": DEFAULT_REGISTER,
    }


def _void_line_example(order: Order, is_owner: bool) -> dict:
    return {"reason": gettext("Entered by mistake")}


def _refund_example(order: Order, is_owner: bool) -> dict | None:
    payments = [p for p in order_payment_list(order=order) if p.refundable_amount > 0]
    if not payments:
        return None
    payment = payments[-1]  # the list is newest first: the first payment taken
    # A tenth of it in whole cash steps: a partial refund, as at a counter.
    step = cash_step(payment.currency)
    amount = min(
        max(payment.refundable_amount / 10 // step * step, step), payment.refundable_amount
    )
    return {
        "payment_id": payment.pk,
        "amount": money_str(amount),
        "reason": gettext("Returned by the customer"),
        "register": DEFAULT_REGISTER,
    }


_ACTION_EXAMPLES = {
    "split": _split_example,
    "discount": _discount_example,
    "move": _move_example,
    "pay_cash": _pay_cash_example,
    "tender": _tender_example,
    "void_line": _void_line_example,
    "refund": _refund_example,
}
