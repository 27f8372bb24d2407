from datetime import timedelta
from decimal import Decimal

import pytest
import responses
import time_machine
from django.conf import settings
from django.utils import timezone

from payments.models import Payment
from payments.tasks import payment_reconcile_pending_task
from payments.tests import stubs
from payments.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db
Status = Payment.Status


def test_beat_schedule_is_declared():
    entry = settings.BEAT_SCHEDULE_DEFAULTS["payments: reconcile pending payments"]
    assert entry["task"] == "payments.tasks.payment_reconcile_pending_task"
    assert entry["every_seconds"] <= 600


def test_reconciliation_applies_results_and_survives_a_failing_payment(
    gw, pay_merchant, other_merchant, status_changes
):
    other_merchant.midtrans_server_key = "SB-Mid-server-OTHER"
    other_merchant.save()
    with time_machine.travel(timezone.now() - timedelta(minutes=10)):
        broken = PaymentFactory(merchant=pay_merchant, amount=Decimal("1000"))
        settled = PaymentFactory(merchant=other_merchant, amount=Decimal("2000"))
        cash = PaymentFactory(merchant=pay_merchant, gateway=Payment.Gateway.CASH)
    fresh = PaymentFactory(merchant=pay_merchant)

    stubs.stub_core_error(responses.GET, f"/v2/{broken.gateway_order_id}/status", status=500)
    stubs.stub_status(settled.gateway_order_id, "settlement", 2000)

    result = payment_reconcile_pending_task.delay().get()

    assert result == {"checked": 2, "changed": 1, "failed": 1}
    settled.refresh_from_db()
    broken.refresh_from_db()
    assert settled.status == Status.PAID
    assert broken.status == Status.PENDING
    checked = {call.request.url for call in gw.calls}
    assert stubs.core_url(f"/v2/{fresh.gateway_order_id}/status") not in checked
    assert stubs.core_url(f"/v2/{cash.gateway_order_id}/status") not in checked
    assert status_changes == [(settled.reference_id, Status.PENDING, Status.PAID)]


def test_reconciliation_waits_the_configured_age(gw, pay_merchant, settings):
    settings.PAYMENT_RECONCILE_AFTER_SECONDS = 3600
    with time_machine.travel(timezone.now() - timedelta(minutes=10)):
        PaymentFactory(merchant=pay_merchant)
    assert payment_reconcile_pending_task.delay().get()["checked"] == 0
    assert len(gw.calls) == 0
