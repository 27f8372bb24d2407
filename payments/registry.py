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


_handlers: dict[str, Handler] = {}


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
