import pytest

from payments.models import PaymentEvent, storable_json
from payments.tests.factories import PaymentFactory


def test_storable_json_keeps_shape_but_drops_what_jsonb_refuses():
    raw = {"a\x00": ["x\x00y", "\ud8d0", 5, None], "n": {"ok": True}}
    assert storable_json(raw) == {"a\ufffd": ["x\ufffdy", "\ufffd", 5, None], "n": {"ok": True}}


@pytest.mark.django_db
def test_a_malformed_body_is_still_logged():
    payment = PaymentFactory()
    event = PaymentEvent.objects.create(
        payment=payment, kind="notification", raw={"k": "\x00\ud800"}
    )
    event.refresh_from_db()
    assert event.raw == {"k": "\ufffd\ufffd"}
