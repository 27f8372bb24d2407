"""Money received, as reports count it: from `Payment` rows only (payments know no orders).

A payment counts once it is paid: status paid, partially refunded or refunded. What it brought
in is `amount − refunded_amount`; a fully refunded payment brings in nothing but its refund is
still reported. Payments that failed, expired, were cancelled or are pending count nowhere.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import CharField, Count, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext

from merchants.models import Merchant
from merchants.reports import (
    MONEY,
    ZERO,
    Dataset,
    PanelData,
    last_local_days,
    local_moments,
    money,
    money_sum,
)
from payments.models import Payment

PAYMENT_MIX_DAYS = 30


def refunded_of_reference(*, reference_kind: str, reference_pk: str = "pk") -> Coalesce:
    """For a queryset of the reference's own model: what its payments refunded (0 if none).

    `reference_pk` names the outer row's id; the merchant must match too, so a reference id of
    another merchant never adds up.
    """
    refunded = (
        Payment.objects.filter(
            merchant=OuterRef("merchant"),
            reference_kind=reference_kind,
            reference_id=Cast(OuterRef(reference_pk), output_field=CharField()),
            status__in=Payment.PAID_STATUSES,
        )
        .order_by()
        .values("reference_kind")
        .annotate(total=Sum("refunded_amount"))
        .values("total")
    )
    return Coalesce(Subquery(refunded, output_field=MONEY), ZERO, output_field=MONEY)


def reference_ids(queryset: QuerySet, pk: str = "pk") -> QuerySet:
    """The ids of `queryset` as payment reference ids (strings), for `reference_id__in=`."""
    return queryset.order_by().annotate(_ref=Cast(pk, output_field=CharField())).values("_ref")


@dataclass
class MethodTotal:
    """Takings of one way of paying: one of the merchant's payment methods (`payment_method_id`,
    labelled with its name), or, for payments that named none, one `Payment.method`."""

    method: str
    label: str
    payment_method_id: int | None = None
    payments: int = 0
    amount: Decimal = ZERO
    refunds: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.amount - self.refunds

    @property
    def is_cash(self) -> bool:
        return self.method == Payment.Method.CASH


@dataclass
class ReceivedTotals:
    """Payments received, by method and (for cash) by the cashier who took it."""

    methods: dict[str, MethodTotal] = field(default_factory=dict)
    cash_by_cashier: dict[int | None, tuple[str, Decimal]] = field(default_factory=dict)

    @property
    def cash(self) -> Decimal:
        return sum((m.net for m in self.methods.values() if m.is_cash), ZERO)

    @property
    def non_cash(self) -> Decimal:
        return sum((m.net for m in self.methods.values() if not m.is_cash), ZERO)


def received_totals(payments: QuerySet[Payment]) -> ReceivedTotals:
    """Sum `payments` (already narrowed to what a report covers) in one aggregate query; only
    those that brought money in count (paid, partially refunded or refunded). Takings are per
    payment method of the merchant (its name), else per `Payment.method`."""
    rows = (
        payments.filter(status__in=Payment.PAID_STATUSES)
        .order_by()
        .values(
            "method",
            "payment_method_id",
            "payment_method__name",
            "payment_method__sort_order",
            "received_by_id",
            "received_by__username",
        )
        .annotate(
            payments=Count("pk"),
            amount=money_sum("amount"),
            refunds=money_sum("refunded_amount"),
        )
    )
    labels = dict(Payment.Method.choices)
    totals = ReceivedTotals()
    sort_keys = {}
    for row in rows:
        method, method_id = row["method"], row["payment_method_id"]
        key = method if method_id is None else f"{method}:{method_id}"
        total = totals.methods.get(key)
        if total is None:
            label = row["payment_method__name"] or labels.get(method, method)
            total = totals.methods[key] = MethodTotal(
                method=method, label=label, payment_method_id=method_id
            )
            sort_keys[key] = (row["payment_method__sort_order"] or 0, label)
        total.payments += row["payments"]
        total.amount += row["amount"]
        total.refunds += row["refunds"]
        if method == Payment.Method.CASH:
            cashier = row["received_by_id"]
            name, so_far = totals.cash_by_cashier.get(cashier, (row["received_by__username"], ZERO))
            totals.cash_by_cashier[cashier] = (name, so_far + row["amount"] - row["refunds"])
    # The kinds in their usual order (cash first), then each kind's methods in their order.
    order = {method: index for index, method in enumerate(labels)}
    totals.methods = dict(
        sorted(
            totals.methods.items(),
            key=lambda item: (order.get(item[1].method, 99), sort_keys[item[0]]),
        )
    )
    return totals


# --- dashboard panels ----------------------------------------------------------------------


def panel_payment_methods(*, merchant: Merchant, now: datetime) -> PanelData:
    """Money received per method over the last 30 local days (by the moment it was paid), net
    of refunds, whatever it paid for (orders and kiosk sessions alike)."""
    first, last = last_local_days(merchant, PAYMENT_MIX_DAYS, now)
    start, end = local_moments(merchant, first, last)
    totals = received_totals(
        Payment.objects.filter(merchant=merchant, paid_at__gte=start, paid_at__lt=end)
    )
    methods = list(totals.methods.values())
    return PanelData(
        period_from=first,
        period_to=last,
        labels=[m.label for m in methods],
        datasets=[Dataset(gettext("Received, net of refunds"), [money(m.net) for m in methods])],
    )
