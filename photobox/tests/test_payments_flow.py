"""A session's payment: notification end to end, the status map, quota released exactly once,
expiry by the beat, late money, and the races PostgreSQL decides."""

import logging
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from merchants.errors import Conflict
from merchants.testing import requires_postgres, run_concurrently
from payments.models import Payment
from payments.tests import stubs
from payments.tests.factories import apply_midtrans
from photobox.auth import KioskIdentity
from photobox.models import KioskPrice, PhotoSession
from photobox.services import (
    photo_session_create,
    photo_session_expire,
    photo_session_expire_due,
)
from photobox.tasks import photo_session_expire_due_task
from photobox.tests.factories import KioskLocationFactory, KioskPriceFactory

pytestmark = pytest.mark.django_db
Status = PhotoSession.Status
Issue = PhotoSession.PaymentIssue
NOTIFY = "/api/v1/payments/midtrans/notification"


def identity(location) -> KioskIdentity:
    return KioskIdentity(location.pk, location.merchant_id, location.machine_code)


@pytest.fixture
def sold(gw, location, price):
    """A session sold through the Midtrans stub: PENDING, one unit of `price` reserved."""
    stubs.stub_qris_charge()
    session = photo_session_create(
        kiosk=identity(location), price_id=price.pk, email="ani@example.com"
    )
    return session


def quota_used(price) -> int:
    return KioskPrice.objects.get(pk=price.pk).quota_used


def test_signed_notification_completes_the_session_end_to_end(gw, kiosk, api_client, price):
    stubs.stub_qris_charge()
    sale = kiosk.post(
        reverse("api:photobox-transaction-list"),
        {"price_id": price.pk, "email": "ani@example.com"},
        format="json",
    )
    assert sale.status_code == 201, sale.content
    external_id = sale.json()["external_id"]
    payment = Payment.objects.get(reference_kind="photo_session", reference_id=external_id)
    body = stubs.midtrans_notification(payment.gateway_order_id, "settlement", 40000)
    stubs.stub_status(payment.gateway_order_id, "settlement", 40000)

    response = api_client.post(NOTIFY, body, format="json")

    assert response.status_code == 200, response.content
    session = PhotoSession.objects.get(external_id=external_id)
    assert session.status == Status.COMPLETED
    assert session.paid_at is not None
    poll = kiosk.get(reverse("api:photobox-kiosk-status", args=[external_id])).json()
    assert poll["status"] == "COMPLETED"
    assert poll["paid_at"] is not None
    assert quota_used(price) == 1  # a sold unit stays used
    # A replayed notification changes nothing.
    assert api_client.post(NOTIFY, body, format="json").status_code == 200
    assert quota_used(price) == 1


def test_forged_notification_changes_nothing(gw, api_client, sold):
    body = stubs.midtrans_notification(
        sold.gateway_order_id, "settlement", 40000, server_key="SB-Mid-server-FORGED"
    )
    assert api_client.post(NOTIFY, body, format="json").status_code == 403
    sold.refresh_from_db()
    assert sold.status == Status.PENDING


@pytest.mark.parametrize(
    ("gateway_status", "session_status"),
    [("deny", Status.FAILED), ("cancel", Status.FAILED), ("expire", Status.EXPIRED)],
)
def test_unpaid_outcomes_release_the_quota_exactly_once(
    sold, price, gateway_status, session_status
):
    assert quota_used(price) == 1
    payment = Payment.objects.get(pk=sold.payment_id)
    apply_midtrans(payment, gateway_status)
    sold.refresh_from_db()
    assert sold.status == session_status
    assert quota_used(price) == 0
    # Every later attempt to close it again finds nothing to release.
    apply_midtrans(payment, gateway_status)
    assert photo_session_expire(session=sold) is False
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert photo_session_expire_due() == []
    assert quota_used(price) == 0


def test_paid_session_keeps_its_unit_and_never_goes_back(sold, price):
    payment = Payment.objects.get(pk=sold.payment_id)
    apply_midtrans(payment, "settlement")
    sold.refresh_from_db()
    assert sold.status == Status.COMPLETED
    assert photo_session_expire(session=sold) is False
    apply_midtrans(payment, "refund", refund_amount="40000.00")
    sold.refresh_from_db()
    assert sold.status == Status.COMPLETED
    assert sold.payment_issue == Issue.NONE
    assert quota_used(price) == 1


def test_reversed_payment_flags_the_session(sold, caplog):
    payment = Payment.objects.get(pk=sold.payment_id)
    apply_midtrans(payment, "settlement")
    with caplog.at_level(logging.ERROR, logger="photobox.services"):
        apply_midtrans(payment, "deny")
    sold.refresh_from_db()
    assert sold.status == Status.COMPLETED
    assert sold.payment_issue == Issue.REVERSED
    assert sold.external_id in caplog.text


class TestExpiry:
    def test_beat_expires_due_sessions_and_their_charge(self, sold, price, gw):
        stubs.stub_expire(sold.gateway_order_id, 40000)
        later = timezone.now() + timedelta(minutes=16)
        with time_machine.travel(later):
            assert photo_session_expire_due_task.delay().get() == 1
            assert photo_session_expire_due() == []  # idempotent
        sold.refresh_from_db()
        assert sold.status == Status.EXPIRED
        assert quota_used(price) == 0
        payment = Payment.objects.get(pk=sold.payment_id)
        assert payment.status == Payment.Status.EXPIRED
        expire_calls = [c for c in gw.calls if c.request.url.endswith("/expire")]
        assert len(expire_calls) == 1

    def test_gateway_down_still_expires_here(self, sold, price, gw):
        stubs.stub_core_error("POST", f"/v2/{sold.gateway_order_id}/expire", status=503)
        with time_machine.travel(timezone.now() + timedelta(minutes=16)):
            assert photo_session_expire_due() == [sold.external_id]
        sold.refresh_from_db()
        assert sold.status == Status.EXPIRED
        assert quota_used(price) == 0
        assert Payment.objects.get(pk=sold.payment_id).status == Payment.Status.PENDING

    def test_sessions_not_yet_due_are_left_alone(self, sold, price):
        assert photo_session_expire_due() == []
        sold.refresh_from_db()
        assert sold.status == Status.PENDING
        assert quota_used(price) == 1

    def test_session_without_a_charge_expires_too(self, location, price):
        # A crash between the reservation and the charge leaves a session with no payment.
        from photobox.tests.factories import PhotoSessionFactory

        session = PhotoSessionFactory(
            merchant=location.merchant,
            location=location,
            price=price,
            expires_at=timezone.now() - timedelta(seconds=5),
        )
        KioskPrice.objects.filter(pk=price.pk).update(quota_used=1)
        assert photo_session_expire_due() == [session.external_id]
        assert quota_used(price) == 0


class TestLateMoney:
    def test_money_after_the_beat_expired_it_is_flagged_not_lost(self, sold, price, gw, caplog):
        stubs.stub_expire(sold.gateway_order_id, 40000)
        with time_machine.travel(timezone.now() + timedelta(minutes=16)):
            photo_session_expire_due()
            payment = Payment.objects.get(pk=sold.payment_id)
            with caplog.at_level(logging.ERROR, logger="photobox.services"):
                apply_midtrans(payment, "settlement")
        payment.refresh_from_db()
        assert payment.status == Payment.Status.PAID  # payments records the money
        sold.refresh_from_db()
        assert sold.status == Status.EXPIRED  # one way: never COMPLETED late
        assert sold.payment_issue == Issue.PAID_LATE
        assert sold.payment_issue_at is not None
        assert "refund" in caplog.text
        assert quota_used(price) == 0

    def test_money_past_expiry_before_the_beat_is_what_the_kiosk_saw(self, sold, price):
        payment = Payment.objects.get(pk=sold.payment_id)
        with time_machine.travel(sold.expires_at + timedelta(seconds=1)):
            apply_midtrans(payment, "settlement")
        sold.refresh_from_db()
        assert sold.status == Status.EXPIRED
        assert sold.payment_issue == Issue.PAID_LATE
        assert quota_used(price) == 0

    def test_money_for_a_failed_session_is_flagged(self, sold):
        payment = Payment.objects.get(pk=sold.payment_id)
        apply_midtrans(payment, "cancel")
        apply_midtrans(payment, "settlement")
        sold.refresh_from_db()
        assert sold.status == Status.FAILED
        assert sold.payment_issue == Issue.PAID_LATE


def test_allowed_transitions_are_one_way():
    for status, targets in PhotoSession.ALLOWED_TRANSITIONS.items():
        if status != Status.PENDING:
            assert targets == frozenset(), status
    assert PhotoSession.ALLOWED_TRANSITIONS[Status.PENDING] == {
        Status.COMPLETED,
        Status.FAILED,
        Status.EXPIRED,
    }


@requires_postgres
@pytest.mark.django_db(transaction=True)
class TestRaces:
    def test_parallel_sales_of_the_last_unit_one_wins(self, gw):
        location = KioskLocationFactory(
            merchant__midtrans_server_key=stubs.SERVER_KEY, machine_code="PB-RACE"
        )
        price = KioskPriceFactory(merchant=location.merchant, quota=3, quota_used=2)
        stubs.stub_qris_charge()
        kiosk = identity(location)

        results = run_concurrently(
            lambda i: photo_session_create(
                kiosk=kiosk, price_id=price.pk, email=f"guest{i}@example.com"
            ),
            6,
        )

        sold = [r for r in results if isinstance(r, PhotoSession)]
        refused = [r for r in results if isinstance(r, Conflict)]
        assert len(sold) == 1, results
        assert len(refused) == 5, results
        assert all(r.code == "quota_exhausted" for r in refused)
        assert quota_used(price) == 3
        assert PhotoSession.objects.count() == 1
        assert Payment.objects.count() == 1
        assert len(gw.calls) == 1

    def test_parallel_expiries_release_one_unit(self):
        location = KioskLocationFactory()
        price = KioskPriceFactory(merchant=location.merchant, quota=2, quota_used=1)
        from photobox.tests.factories import PhotoSessionFactory

        session = PhotoSessionFactory(
            merchant=location.merchant,
            location=location,
            price=price,
            expires_at=timezone.now() - timedelta(seconds=1),
        )

        results = run_concurrently(lambda i: photo_session_expire(session=session), 5)

        assert sorted(results) == [False, False, False, False, True]
        assert quota_used(price) == 0
