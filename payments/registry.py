"""Who reacts when a payment changes status: the app that owns the reference.

Payments never import orders or photobox. An owner registers one handler per `reference_kind`,
usually in its `AppConfig.ready()`:

    from payments import registry
    registry.register("order", order_payment_changed)

`handler(payment, old_status, new_status, *, actor)` runs inside the transaction that changes
the payment, with the payment row locked, once per real status change. `actor`
(`merchants.actors.Actor`) is who caused the change: the staff member or customer who called the
payments service, or `SYSTEM` for webhooks, reconciliation and beat tasks. If the handler
raises, the change is rolled back (and the gateway will tell us again), so handlers do quick
database work only and queue the rest (emails) with `transaction.on_commit`.

An owner may also say how its references read for people (`register_labels`): the payments
admin then lists "INV-20261122-0001" linked to the order instead of a bare reference id.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

from django.core.exceptions import ImproperlyConfigured

from merchants.actors import Actor

if TYPE_CHECKING:
    from payments.models import Payment


class Handler(Protocol):
    def __call__(
        self, payment: "Payment", old_status: str, new_status: str, *, actor: Actor
    ) -> None: ...


class Labeler(Protocol):
    def __call__(self, refs: list[tuple[int, str]]) -> dict[tuple[int, str], tuple[str, str]]:
        """(merchant id, reference id) pairs → (label, admin URL) for those it knows."""
        ...


_handlers: dict[str, Handler] = {}
_labelers: dict[str, Labeler] = {}


def register_labels(kind: str, labeler: Labeler) -> None:
    _labelers[kind] = labeler


def reference_labels(payments) -> dict[int, tuple[str, str]]:
    """Payment id → (label, URL) of what it pays for, one query per kind of reference."""
    by_kind: dict[str, list] = {}
    for payment in payments:
        by_kind.setdefault(payment.reference_kind, []).append(payment)
    labels = {}
    for kind, group in by_kind.items():
        labeler = _labelers.get(kind)
        if labeler is None:
            continue
        found = labeler([(p.merchant_id, p.reference_id) for p in group])
        for payment in group:
            hit = found.get((payment.merchant_id, payment.reference_id))
            if hit is not None:
                labels[payment.pk] = hit
    return labels


def register(kind: str, handler: Handler) -> None:
    current = _handlers.get(kind)
    if current is not None and current is not handler:
        raise ImproperlyConfigured(
            f"Payments for '{kind}' already go to {current.__module__}.{current.__qualname__}."
        )
    _handlers[kind] = handler


def unregister(kind: str) -> None:
    _handlers.pop(kind, None)


def handler_for(kind: str) -> Handler | None:
    return _handlers.get(kind)


def notify(payment: "Payment", old_status: str, new_status: str, *, actor: Actor) -> None:
    handler = _handlers.get(payment.reference_kind)
    if handler is not None:
        handler(payment, old_status, new_status, actor=actor)


@contextmanager
def registered(kind: str, handler: Handler) -> Iterator[Handler]:
    """Temporarily route `kind` to `handler` (tests), restoring what was there before."""
    previous = _handlers.get(kind)
    _handlers[kind] = handler
    try:
        yield handler
    finally:
        if previous is None:
            _handlers.pop(kind, None)
        else:
            _handlers[kind] = previous
