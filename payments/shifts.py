"""The cash drawer: shifts opened and closed per register, cash put in or taken out, and what
the drawer should hold at close.

Expected cash = opening + cash taken − change given − cash refunds + cash in − cash out. Cash
payments (`payment_record_cash`) and cash refunds (`payment_refund`) find the open shift of
their register through `shift_for_cash`, which locks its row: a close and a sale on one
register happen one after the other, never half of each. A closed shift is read-only.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from merchants.actors import Actor
from merchants.errors import Conflict, DomainError, NotFound
from merchants.models import Merchant
from payments.models import CashMovement, Payment, Shift

DEFAULT_REGISTER = "main"
ZERO = Decimal(0)


def register_name(register: str | None) -> str:
    """The register as stored: trimmed, "main" when none is named."""
    name = (register or "").strip() or DEFAULT_REGISTER
    if len(name) > 40:
        raise DomainError(
            gettext("A register name has at most 40 characters."),
            details={"register": [gettext("Too long.")]},
        )
    # A register is a name a person typed; PostgreSQL cannot even compare a NUL byte.
    if not name.isprintable():
        raise DomainError(
            gettext("A register name is printable text, such as “main” or “bar”."),
            details={"register": [gettext("Not printable.")]},
        )
    return name


def _no_open_shift(register: str) -> Conflict:
    return Conflict(
        gettext(
            "No shift is open on register %(register)r: open one (POST /api/v1/shifts/open) "
            "before taking or refunding cash."
        )
        % {"register": register},
        code="no_open_shift",
        details={"register": register},
    )


def shift_current(*, merchant: Merchant, register: str | None = None) -> Shift | None:
    """The open shift of the register, if any (no lock)."""
    return Shift.objects.filter(
        merchant=merchant, register=register_name(register), closed_at__isnull=True
    ).first()


def shift_for_cash(
    *, merchant: Merchant, register: str | None = None, required: bool = True
) -> Shift | None:
    """The open shift of the register, locked, for cash about to move in or out of its drawer;
    None when no shift is open and the merchant does not require one (409 when it does, and
    `required`: a card slip is tied to the shift when one is open, never refused for lack of
    one). Call inside the transaction that records the payment."""
    name = register_name(register)
    shift = (
        Shift.objects.select_for_update()
        .filter(merchant=merchant, register=name, closed_at__isnull=True)
        .first()
    )
    if shift is None and required and merchant.require_open_shift:
        raise _no_open_shift(name)
    return shift


def shift_open(
    *, merchant: Merchant, actor: Actor, opening_cash: Decimal, register: str | None = None
) -> Shift:
    """Open a shift on the register with the cash counted into the drawer; 409 when one is
    already open there (the database allows one open shift per register)."""
    name = register_name(register)
    if opening_cash is None or opening_cash < 0:
        raise DomainError(
            gettext("Opening cash is the cash in the drawer: zero or more."),
            details={"opening_cash": [">= 0"]},
        )
    if shift_current(merchant=merchant, register=name) is not None:
        raise _already_open(name)
    try:
        with transaction.atomic():
            return Shift.objects.create(
                merchant=merchant,
                register=name,
                currency=merchant.currency,
                opening_cash=opening_cash,
                opened_at=timezone.now(),
                opened_by=actor.user,
            )
    except IntegrityError:  # opened on another till at the same moment
        raise _already_open(name) from None


def _already_open(register: str) -> Conflict:
    return Conflict(
        gettext(
            "A shift is already open on register %(register)r; close it first "
            "(or name another register)."
        )
        % {"register": register},
        code="shift_already_open",
        details={"register": register},
    )


def _locked_open(shift: Shift, *, closing: bool) -> Shift:
    locked = Shift.objects.select_for_update().get(pk=shift.pk)
    if not locked.is_open:
        closed = f"{locked.closed_at.astimezone(locked.merchant.tzinfo):%Y-%m-%d %H:%M}"
        if closing:
            message = gettext(
                "This shift was closed at %(closed)s; a closed shift cannot be closed again. "
                "Record it on the register's next shift."
            )
        else:
            message = gettext(
                "This shift was closed at %(closed)s; a closed shift cannot take cash "
                "movements. Record it on the register's next shift."
            )
        raise Conflict(message % {"closed": closed}, code="shift_closed")
    return locked


def shift_cash_move(
    *, shift: Shift, actor: Actor, kind: str, amount: Decimal, reason: str
) -> CashMovement:
    """Cash put into (`in`) or taken out of (`out`) the drawer, with why; 409 on a closed
    shift, 400 when taking out more than the drawer should hold."""
    reason = (reason or "").strip()
    if kind not in (CashMovement.Kind.IN, CashMovement.Kind.OUT):
        raise DomainError(
            gettext("Kind is in or out."), details={"kind": [gettext("One of in, out.")]}
        )
    if not reason:
        raise DomainError(
            gettext("Say why the cash moved."), details={"reason": [gettext("Required.")]}
        )
    if amount is None or amount <= 0:
        raise DomainError(
            gettext("The amount must be more than zero."), details={"amount": ["> 0"]}
        )
    with transaction.atomic():
        locked = _locked_open(shift, closing=False)
        if kind == CashMovement.Kind.OUT:
            expected = shift_summary(shift=locked).expected_cash
            if amount > expected:
                raise DomainError(
                    gettext(
                        "The drawer should hold %(expected)s; %(amount)s cannot be taken out of it."
                    )
                    % {"expected": expected, "amount": amount},
                    code="not_enough_cash",
                    details={"amount": [gettext("at most %(expected)s") % {"expected": expected}]},
                )
        return CashMovement.objects.create(
            merchant_id=locked.merchant_id,
            shift=locked,
            kind=kind,
            amount=amount,
            reason=reason[:255],
            actor=actor.user,
        )


def shift_record_refund(
    *, shift: Shift, payment: Payment, amount: Decimal, reason: str, actor: Actor
) -> CashMovement:
    """A cash refund handed back from the shift's drawer (called by `payment_refund` with
    the shift `shift_for_cash` locked)."""
    return CashMovement.objects.create(
        merchant_id=shift.merchant_id,
        shift=shift,
        kind=CashMovement.Kind.REFUND,
        amount=amount,
        reason=(reason or "Refund")[:255],
        actor=actor.user,
        payment=payment,
    )


@dataclass
class ShiftSummary:
    """What a shift took and what its drawer should hold (computed from its rows)."""

    shift: Shift
    cash_taken: Decimal = ZERO
    change_given: Decimal = ZERO
    cash_refunds: Decimal = ZERO
    cash_in: Decimal = ZERO
    cash_out: Decimal = ZERO
    orders: int = 0
    refund_count: int = 0
    takings_by_method: list[dict] = field(default_factory=list)
    movements: list[CashMovement] = field(default_factory=list)

    @property
    def expected_cash(self) -> Decimal:
        return (
            self.shift.opening_cash
            + self.cash_taken
            - self.change_given
            - self.cash_refunds
            + self.cash_in
            - self.cash_out
        )

    @property
    def refunds(self) -> dict:
        return {"count": self.refund_count, "amount": self.cash_refunds}


def shift_summary(*, shift: Shift) -> ShiftSummary:
    """The shift's takings (by method), its cash in, out and refunded, and the expected cash:
    three queries however many sales."""
    summary = ShiftSummary(shift=shift)
    paid = Payment.objects.filter(shift=shift, status__in=Payment.PAID_STATUSES)
    cash = paid.filter(gateway=Payment.Gateway.CASH).aggregate(
        taken=Sum(Coalesce("cash_tendered_amount", "amount")),
        change=Sum(Coalesce("change_amount", Value(ZERO))),
    )
    summary.cash_taken = cash["taken"] or ZERO
    summary.change_given = cash["change"] or ZERO
    by_method: dict[tuple, dict] = defaultdict(lambda: {"amount": ZERO, "count": 0})
    references = set()
    rows = paid.values("method", "payment_method__name", "reference_kind", "reference_id").annotate(
        total=Sum("amount"), n=Count("pk")
    )
    for row in rows:
        key = (row["method"], row["payment_method__name"] or "")
        by_method[key]["amount"] += row["total"]
        by_method[key]["count"] += row["n"]
        references.add((row["reference_kind"], row["reference_id"]))
    labels = dict(Payment.Method.choices)
    summary.takings_by_method = [
        {"method": method, "name": name or labels.get(method, method), **totals}
        for (method, name), totals in sorted(by_method.items())
    ]
    summary.orders = len(references)
    summary.movements = list(
        CashMovement.objects.filter(shift=shift)
        .select_related("actor")
        .order_by("created_at", "pk")
    )
    for movement in summary.movements:
        if movement.kind == CashMovement.Kind.IN:
            summary.cash_in += movement.amount
        elif movement.kind == CashMovement.Kind.OUT:
            summary.cash_out += movement.amount
        else:
            summary.cash_refunds += movement.amount
            summary.refund_count += 1
    return summary


def shift_close(
    *, shift: Shift, actor: Actor, counted_cash: Decimal, note: str = ""
) -> ShiftSummary:
    """Close the shift with the cash counted in the drawer: the expected cash and the
    difference (counted − expected) are stored. 409 when it is already closed (a second
    close of the same shift, from another till, waits for the first and is refused)."""
    if counted_cash is None or counted_cash < 0:
        raise DomainError(
            gettext("Counted cash is what is in the drawer: zero or more."),
            details={"counted_cash": [">= 0"]},
        )
    with transaction.atomic():
        locked = _locked_open(shift, closing=True)
        summary = shift_summary(shift=locked)
        locked.expected_cash = summary.expected_cash
        locked.counted_cash = counted_cash
        locked.difference = counted_cash - summary.expected_cash
        locked.closed_at = timezone.now()
        locked.closed_by = actor.user
        locked.note = (note or "").strip()
        locked.save(
            update_fields=[
                "expected_cash",
                "counted_cash",
                "difference",
                "closed_at",
                "closed_by",
                "note",
                "updated_at",
            ]
        )
    summary.shift = locked
    return summary


def shift_get(*, merchant: Merchant, pk: int) -> Shift:
    shift = Shift.objects.filter(merchant=merchant, pk=pk).first()
    if shift is None:
        raise NotFound(gettext("No shift %(pk)s.") % {"pk": pk})
    return shift


def shift_list_for_day(*, merchant: Merchant, start_end: tuple) -> list[Shift]:
    """Shifts open at any moment of [start, end): the daily report lists them."""
    start, end = start_end
    return list(
        Shift.objects.filter(merchant=merchant, opened_at__lt=end)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=start))
        .select_related("opened_by", "closed_by")
        .order_by("opened_at", "pk")
    )
