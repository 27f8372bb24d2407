import pytest
from django.core.exceptions import ImproperlyConfigured

from payments import registry


def handler_a(payment, old, new, *, actor):
    pass


def handler_b(payment, old, new, *, actor):
    pass


def test_one_owner_per_reference_kind():
    registry.register("test_kind", handler_a)
    try:
        registry.register("test_kind", handler_a)  # the same again (a re-run ready()) is fine
        with pytest.raises(ImproperlyConfigured, match="already go to"):
            registry.register("test_kind", handler_b)
        assert registry.handler_for("test_kind") is handler_a
    finally:
        registry.unregister("test_kind")
    assert registry.handler_for("test_kind") is None


def test_registered_restores_the_previous_handler():
    registry.register("test_kind", handler_a)
    try:
        with registry.registered("test_kind", handler_b):
            assert registry.handler_for("test_kind") is handler_b
        assert registry.handler_for("test_kind") is handler_a
    finally:
        registry.unregister("test_kind")


@pytest.mark.django_db
def test_the_handler_hears_who_caused_the_change(pending, owner):
    from decimal import Decimal

    from merchants.actors import Actor
    from payments.services import payment_record_cash

    heard = []

    def handler(payment, old, new, *, actor):
        heard.append((payment.reference_id, old, new, actor))

    cashier = Actor.staff(owner)
    with registry.registered("order", handler):
        payment_record_cash(
            merchant=pending.merchant,
            reference_kind="order",
            reference_id="7",
            amount_due=Decimal("1000"),
            amount_paid=Decimal("1000"),
            actor=cashier,
        )
    assert heard == [("7", "pending", "paid", cashier)]
