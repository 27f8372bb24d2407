"""Sales figures for reports, dashboard panels and exports: the one rule for what is revenue.

**Revenue.** An order counts when it is not cancelled and its payment status is paid, partially
refunded or refunded. It counts on its `business_date`, the merchant's local date when it was
placed (fixed at creation, so a sale at 23:30 in Jakarta stays on that day). Its refunds are what
its payments (`payments.Payment` rows of kind "order") refunded, subtracted on the day of the
sale: a day's figures show what that day's sales finally brought in.

gross = Σ subtotal (list prices × quantities); total = gross − discounts + tax + service;
net = total − refunds. Discounts are promotions and discounts staff gave on the bill. Products
and categories show line sales (final price × quantity, before tax, service and refunds: a
refund belongs to a payment, not to a line) and line discounts (promotions and the line's share
of a staff discount, so they add up to the orders' discounts). Voided lines count nowhere.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncMonth, TruncWeek
from django.utils.translation import gettext

from merchants.errors import DomainError
from merchants.models import Merchant
from merchants.reports import (
    ZERO,
    Dataset,
    PanelData,
    each_day,
    last_local_days,
    local_moments,
    local_now,
    local_today,
    money,
    money_sum,
    month_start,
    week_start,
)
from orders.models import Order, OrderItem
from orders.payment_status import PAID_FAMILY
from payments.models import Payment, Shift
from payments.reports import MethodTotal, received_totals, reference_ids, refunded_of_reference
from payments.shifts import shift_list_for_day

ORDER_REFERENCE = Order.PAYMENT_REFERENCE_KIND
# Orders whose money came in (some of it may have gone back since): the same family the
# payments side of orders uses.
REVENUE_PAYMENT_STATUSES = tuple(sorted(PAID_FAMILY))
COUNTS_AS_REVENUE = Q(payment_status__in=REVENUE_PAYMENT_STATUSES) & ~Q(
    status=Order.Status.CANCELLED
)
PERIODS = ("day", "week", "month")
GROUP_BY = (*PERIODS, "product", "category")
REVENUE_DAYS = 30
TOP_PRODUCTS = 10


def revenue_orders(*, merchant: Merchant, first: date, last: date) -> QuerySet[Order]:
    """The merchant's orders that count as revenue, placed on local days `first`..`last`."""
    return Order.objects.filter(
        COUNTS_AS_REVENUE, merchant=merchant, business_date__range=(first, last)
    )


def order_refunds() -> Coalesce:
    """Per order: what its payments refunded (an expression for annotate / Sum)."""
    return refunded_of_reference(reference_kind=ORDER_REFERENCE)


def sales_aggregates() -> dict:
    """The figures of a group of orders, as aggregate expressions (one query per grouping)."""
    return {
        "orders": Count("pk"),
        "gross": money_sum("subtotal_amount"),
        "discounts": money_sum("discount_amount"),
        "tax": money_sum("tax_amount"),
        "service": money_sum("service_charge_amount"),
        "total": money_sum("total_amount"),
        "refunds": money_sum(order_refunds()),
    }


@dataclass
class SalesFigures:
    orders: int = 0
    gross: Decimal = ZERO
    discounts: Decimal = ZERO
    tax: Decimal = ZERO
    service: Decimal = ZERO
    total: Decimal = ZERO
    refunds: Decimal = ZERO

    FIELDS = ("orders", "gross", "discounts", "tax", "service", "total", "refunds")

    @property
    def net(self) -> Decimal:
        return self.total - self.refunds

    @classmethod
    def of(cls, row: dict) -> "SalesFigures":
        return cls(**{name: row[name] for name in cls.FIELDS})

    def add(self, other: "SalesFigures") -> None:
        for name in self.FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @classmethod
    def total_of(cls, many: Iterable["SalesFigures"]) -> "SalesFigures":
        result = cls()
        for figures in many:
            result.add(figures)
        return result


# --- the end-of-day report -----------------------------------------------------------------


@dataclass
class CashierLine:
    """A staff member's day: orders they rang up, cash they took. No user: customers' own."""

    user_id: int | None
    username: str
    orders: int = 0
    total: Decimal = ZERO
    refunds: Decimal = ZERO
    cash_received: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.total - self.refunds


@dataclass
class DailyReport:
    merchant: Merchant
    day: date
    generated_at: datetime  # local
    figures: SalesFigures
    methods: list[MethodTotal]
    cash: Decimal
    non_cash: Decimal
    cashiers: list[CashierLine]
    cancelled_orders: int = 0
    open_orders: int = 0  # neither cancelled nor paid yet
    open_total: Decimal = ZERO
    # The cash drawer shifts open at any moment of the day: the API and the printed Z list them.
    shifts: list[Shift] = field(default_factory=list)

    @property
    def is_closed(self) -> bool:
        return self.day < self.generated_at.date()

    @property
    def kind(self) -> str:
        """X: a reading of a day still open; Z: the closing report of a day that has ended."""
        return "z" if self.is_closed else "x"


def daily_report(*, merchant: Merchant, day: date, now: datetime | None = None) -> DailyReport:
    """Orders count, gross, discounts, tax, service, refunds, net, cash and non-cash, each
    cashier's share and the day's cash drawer shifts for one local day, in three queries."""
    generated_at = local_now(merchant, now)
    if day > generated_at.date():
        raise DomainError(
            gettext("%(day)s has not started yet at %(name)s (today there is %(generated_at)s).")
            % {
                "day": format(day, "%Y-%m-%d"),
                "name": merchant.name,
                "generated_at": format(generated_at, "%Y-%m-%d"),
            },
            details={"date": gettext("in the future")},
        )
    rows = (
        Order.objects.filter(merchant=merchant, business_date=day)
        .order_by()
        .values("created_by_id", "created_by__username", "status", "payment_status")
        .annotate(**sales_aggregates())
    )
    report = DailyReport(
        merchant=merchant,
        day=day,
        generated_at=generated_at,
        figures=SalesFigures(),
        methods=[],
        cash=ZERO,
        non_cash=ZERO,
        cashiers=[],
    )
    cashiers: dict[int | None, CashierLine] = {}
    for row in rows:
        if row["status"] == Order.Status.CANCELLED:
            report.cancelled_orders += row["orders"]
            continue
        if row["payment_status"] not in REVENUE_PAYMENT_STATUSES:
            report.open_orders += row["orders"]
            report.open_total += row["total"]
            continue
        figures = SalesFigures.of(row)
        report.figures.add(figures)
        user_id = row["created_by_id"]
        line = cashiers.setdefault(user_id, CashierLine(user_id, row["created_by__username"] or ""))
        line.orders += figures.orders
        line.total += figures.total
        line.refunds += figures.refunds

    received = received_totals(
        Payment.objects.filter(
            merchant=merchant,
            reference_kind=ORDER_REFERENCE,
            reference_id__in=reference_ids(revenue_orders(merchant=merchant, first=day, last=day)),
        )
    )
    report.methods = list(received.methods.values())
    report.cash, report.non_cash = received.cash, received.non_cash
    for user_id, (username, amount) in received.cash_by_cashier.items():
        line = cashiers.setdefault(user_id, CashierLine(user_id, username or ""))
        line.cash_received += amount
    # Staff by name; orders customers placed themselves (no staff user) last.
    report.cashiers = sorted(cashiers.values(), key=lambda c: (c.user_id is None, c.username))
    report.shifts = shift_list_for_day(
        merchant=merchant, start_end=local_moments(merchant, day, day)
    )
    return report


# --- the sales report ----------------------------------------------------------------------


@dataclass
class PeriodLine:
    start: date
    end: date
    figures: SalesFigures


def _bucket(day: date, group_by: str) -> date:
    return {"day": day, "week": week_start(day), "month": month_start(day)}[group_by]


def sales_by_period(
    *, merchant: Merchant, first: date, last: date, group_by: str = "day"
) -> list[PeriodLine]:
    """Revenue per day, week (from Monday) or month, every period present (zeros included),
    clipped to `first`..`last`; one query."""
    if group_by not in PERIODS:
        raise ValueError(group_by)
    bucket = {
        "day": F("business_date"),
        "week": TruncWeek("business_date"),
        "month": TruncMonth("business_date"),
    }[group_by]
    rows = (
        revenue_orders(merchant=merchant, first=first, last=last)
        .order_by()
        .annotate(period=bucket)
        .values("period")
        .annotate(**sales_aggregates())
    )
    found = {_as_date(row["period"]): SalesFigures.of(row) for row in rows}
    lines: dict[date, PeriodLine] = {}
    for day in each_day(first, last):
        start = _bucket(day, group_by)
        line = lines.get(start)
        if line is None:
            lines[start] = PeriodLine(day, day, found.get(start, SalesFigures()))
        else:
            line.end = day
    return list(lines.values())


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def sales_totals(*, merchant: Merchant, first: date, last: date) -> SalesFigures:
    row = revenue_orders(merchant=merchant, first=first, last=last).aggregate(**sales_aggregates())
    return SalesFigures.of(row)


def _line_aggregates() -> dict:
    return {
        "quantity": Coalesce(Sum("quantity"), 0),
        "orders": Count("order_id", distinct=True),
        "sales": money_sum("line_subtotal_amount"),
        # Promotions and each line's share of a staff discount: the orders' discounts, per line.
        "discounts": money_sum(F("discount_amount") + F("order_discount_amount")),
    }


def revenue_items(*, merchant: Merchant, first: date, last: date) -> QuerySet[OrderItem]:
    return OrderItem.objects.filter(
        order__in=revenue_orders(merchant=merchant, first=first, last=last)
    )


def sales_by_product(*, merchant: Merchant, first: date, last: date) -> QuerySet:
    """Per product: quantity, orders, line sales and discounts; best sellers first."""
    return (
        revenue_items(merchant=merchant, first=first, last=last)
        .order_by()
        .values("product_id", "product__name", "product__category__name")
        .annotate(**_line_aggregates())
        .order_by("-sales", "product__name", "product_id")
    )


def sales_by_category(*, merchant: Merchant, first: date, last: date) -> QuerySet:
    """Per category (as the product is filed today; none: uncategorised)."""
    return (
        revenue_items(merchant=merchant, first=first, last=last)
        .order_by()
        .values("product__category_id", "product__category__name")
        .annotate(**_line_aggregates())
        .order_by("-sales", "product__category__name", "product__category_id")
    )


# --- dashboard panels ----------------------------------------------------------------------


def panel_revenue_per_day(*, merchant: Merchant, now: datetime) -> PanelData:
    """Net revenue per local day, the last 30 days up to today."""
    first, last = last_local_days(merchant, REVENUE_DAYS, now)
    lines = sales_by_period(merchant=merchant, first=first, last=last, group_by="day")
    return PanelData(
        period_from=first,
        period_to=last,
        labels=[line.start.isoformat() for line in lines],
        datasets=[Dataset(gettext("Net revenue"), [money(line.figures.net) for line in lines])],
    )


def panel_orders_by_status_today(*, merchant: Merchant, now: datetime) -> PanelData:
    """How many of today's orders are pending, confirmed, completed or cancelled."""
    today = local_today(merchant, now)
    counts = dict(
        Order.objects.filter(merchant=merchant, business_date=today)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    return PanelData(
        period_from=today,
        period_to=today,
        labels=[label for _, label in Order.Status.choices],
        datasets=[
            Dataset(
                gettext("Orders"),
                [str(counts.get(value, 0)) for value, _ in Order.Status.choices],
            )
        ],
    )


def _top_products(*, merchant: Merchant, now: datetime, by: str) -> PanelData:
    last = local_today(merchant, now)
    first = week_start(last)
    rows = list(
        sales_by_product(merchant=merchant, first=first, last=last).order_by(
            f"-{by}", "product__name", "product_id"
        )[:TOP_PRODUCTS]
    )
    label, fmt = (gettext("Sales"), money) if by == "sales" else (gettext("Units sold"), str)
    return PanelData(
        period_from=first,
        period_to=last,
        labels=[row["product__name"] for row in rows],
        datasets=[Dataset(label, [fmt(row[by]) for row in rows])],
    )


def panel_top_products_by_revenue(*, merchant: Merchant, now: datetime) -> PanelData:
    """The 10 products with the most line sales this week (Monday to today)."""
    return _top_products(merchant=merchant, now=now, by="sales")


def panel_top_products_by_quantity(*, merchant: Merchant, now: datetime) -> PanelData:
    """The 10 products sold in the most units this week (Monday to today)."""
    return _top_products(merchant=merchant, now=now, by="quantity")
