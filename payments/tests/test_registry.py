import pytest
from django.core.exceptions import ImproperlyConfigured

from payments import registry


def handler_a(payment, old, new):
    pass


def handler_b(payment, old, new):
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
