"""What every payment gateway adapter offers, and the plain results it hands back.

Amounts stay `Decimal` everywhere else; an adapter turns them into the gateway's integer units
(`to_minor_units`) at the very last moment. Adapters raise only `merchants.errors.GatewayError`
(network, timeout, 5xx, refusal, unreadable answer) and never touch the database.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Protocol

# Re-exported for the adapters: which units a currency has is the merchants kernel's rule.
from merchants.money import to_minor_units as to_minor_units


@dataclass(frozen=True)
class LineItem:
    """One line the customer sees at the gateway. Tax, service and discount are lines too
    (a discount has a negative price), so the lines always add up to the amount charged."""

    id: str
    name: str
    price: Decimal
    quantity: int = 1

    @property
    def total(self) -> Decimal:
        return self.price * self.quantity


def items_total(items: list[LineItem]) -> Decimal:
    return sum((item.total for item in items), Decimal("0"))


@dataclass(frozen=True)
class CustomerDetails:
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class GatewayExchange:
    """One call as it goes into the event log: what we sent and what came back (no secrets)."""

    operation: str
    request: dict
    response: dict


@dataclass(frozen=True)
class SnapCheckout:
    token: str
    redirect_url: str
    exchange: GatewayExchange


@dataclass(frozen=True)
class QrisCharge:
    transaction_id: str
    qr_string: str
    expires_at: datetime | None
    exchange: GatewayExchange


@dataclass(frozen=True)
class StatusReport:
    """The gateway's current view of a transaction; `payload` is None when it knows none yet
    (a Snap token whose customer has not picked a method)."""

    payload: dict | None
    exchange: GatewayExchange
    extra: dict = field(default_factory=dict)


class QrisGateway(Protocol):
    """What the QRIS flow needs from a gateway (Midtrans Core API or Xendit)."""

    def charge_qris(
        self,
        *,
        order_id: str,
        amount: Decimal,
        currency: str,
        expiry_minutes: int,
        description: str,
    ) -> QrisCharge: ...

    def get_status(self, *, order_id: str, transaction_id: str) -> StatusReport: ...


@dataclass(frozen=True)
class GatewayOutcome:
    """What a gateway's status payload (status answer, notification, callback) says, in our
    terms; each provider module reads its own payloads into one (`status_outcome`)."""

    status: str | None  # ours, or None when the gateway said something we do not act on
    gateway_status: str
    amount: Decimal | None
    transaction_id: str
    refunded_amount: Decimal | None
    reference: str  # the gateway's copy of our order id, when it sent one
    key: str  # what makes two reports of the same state the same


CENT = Decimal("0.01")


def reported_amount(value) -> Decimal | None:
    """An amount as a gateway wrote it in a payload ("150000.00", 150000), or None."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, ValueError):
        return None
