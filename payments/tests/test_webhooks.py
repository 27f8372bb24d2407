"""Midtrans notifications and Xendit callbacks: verified, logged first, applied idempotently."""

from decimal import Decimal

import pytest
import responses
from django.urls import reverse

from merchants.actors import SYSTEM
from payments.models import Payment, PaymentEvent
from payments.tests import stubs
from payments.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db
Status = Payment.Status
Kind = PaymentEvent.Kind

NOTIFY = "/api/v1/payments/midtrans/notification"
CALLBACK = "/api/v1/payments/xendit/callback"


@pytest.fixture
def pending(pay_merchant):
    return PaymentFactory(
        merchant=pay_merchant,
        reference_id="42",
        amount=Decimal("150000"),
        gateway_order_id="ORDER-2024-0001",
    )


def notify(api_client, body):
    return api_client.post(NOTIFY, body, format="json")


def test_routes_answer_with_and_without_trailing_slash():
    assert reverse("api:payment-midtrans-notification") in (NOTIFY, NOTIFY + "/")
    assert reverse("api:payment-xendit-callback") in (CALLBACK, CALLBACK + "/")


def test_reference_vector_notification_is_verified_then_status_fetched(
    gw, api_client, pending, status_changes
):
    body = stubs.midtrans_notification("ORDER-2024-0001", "settlement", 150000)
    assert body["signature_key"].startswith("097a30d2520f")  # the reference's vector 1
    stubs.stub_status("ORDER-2024-0001", "settlement", 150000)

    response = notify(api_client, body)

    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "payment_status": Status.PAID}
    pending.refresh_from_db()
    assert pending.status == Status.PAID
    assert [c.request.url for c in gw.calls] == [stubs.core_url("/v2/ORDER-2024-0001/status")]
    first = pending.events.order_by("pk").first()
    assert first.kind == Kind.NOTIFICATION
    assert first.signature_valid is True
    assert first.raw == body
    assert status_changes == [("42", Status.PENDING, Status.PAID)]


def test_status_api_is_the_truth_not_the_notification(gw, api_client, pending):
    # A correctly signed "settlement" while Midtrans itself still says pending: not paid.
    body = stubs.midtrans_notification("ORDER-2024-0001", "settlement", 150000)
    stubs.stub_status("ORDER-2024-0001", "pending", 150000)
    assert notify(api_client, body).status_code == 200
    pending.refresh_from_db()
    assert pending.status == Status.PENDING


def test_replayed_notification_changes_nothing(gw, api_client, pending, status_changes):
    body = stubs.midtrans_notification("ORDER-2024-0001", "settlement", 150000)
    stubs.stub_status("ORDER-2024-0001", "settlement", 150000)
    for _ in range(3):
        assert notify(api_client, body).status_code == 200
    pending.refresh_from_db()
    assert pending.status == Status.PAID
    assert status_changes == [("42", Status.PENDING, Status.PAID)]
    applied = pending.events.filter(kind=Kind.STATUS_CHECK)
    assert applied.count() == 1
    assert pending.events.filter(kind=Kind.NOTIFICATION).count() == 3


def test_reordered_notifications_never_move_paid_back(gw, api_client, pending, status_changes):
    stubs.stub_status("ORDER-2024-0001", "settlement", 150000)
    settled = stubs.midtrans_notification("ORDER-2024-0001", "settlement", 150000)
    assert notify(api_client, settled).status_code == 200
    # The older "pending" notification arrives last, and the status API lags as well.
    gw.replace(
        responses.GET,
        stubs.core_url("/v2/ORDER-2024-0001/status"),
        json=stubs.status_payload("ORDER-2024-0001", "pending", 150000),
    )
    late = stubs.midtrans_notification("ORDER-2024-0001", "pending", 150000)
    assert notify(api_client, late).status_code == 200
    pending.refresh_from_db()
    assert pending.status == Status.PAID
    assert status_changes == [("42", Status.PENDING, Status.PAID)]


@pytest.mark.parametrize(
    "forge",
    [
        lambda: stubs.midtrans_notification(
            "ORDER-2024-0001", "settlement", 150000, server_key="SB-Mid-server-GUESSED"
        ),
        # Signed over "150000" while the body says "150000.00".
        lambda: {
            **stubs.midtrans_notification(
                "ORDER-2024-0001", "settlement", 150000, gross_amount="150000"
            ),
            "gross_amount": "150000.00",
        },
        lambda: {
            **stubs.midtrans_notification("ORDER-2024-0001", "settlement", 150000),
            "signature_key": "0" * 128,
        },
        lambda: {
            k: v
            for k, v in stubs.midtrans_notification("ORDER-2024-0001", "settlement", 150000).items()
            if k != "signature_key"
        },
    ],
    ids=["wrong-key", "reformatted-amount", "garbage", "missing"],
)
def test_forged_notification_is_403_logged_and_changes_nothing(
    gw, api_client, pending, status_changes, forge
):
    response = notify(api_client, forge())
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    pending.refresh_from_db()
    assert pending.status == Status.PENDING
    assert len(gw.calls) == 0  # not even a status call
    assert status_changes == []
    event = pending.events.get()
    assert (event.kind, event.signature_valid) == (Kind.NOTIFICATION, False)


def test_notification_signed_with_another_merchants_key_is_refused(
    gw, api_client, pending, other_merchant
):
    other_merchant.midtrans_server_key = "SB-Mid-server-OTHER"
    other_merchant.save()
    body = stubs.midtrans_notification(
        "ORDER-2024-0001", "settlement", 150000, server_key="SB-Mid-server-OTHER"
    )
    assert notify(api_client, body).status_code == 403


def test_unknown_order_is_404_and_still_logged(gw, api_client, pending):
    body = stubs.midtrans_notification("ORDER-NOBODY", "settlement", 150000)
    response = notify(api_client, body)
    assert response.status_code == 404
    event = PaymentEvent.objects.get(payment=None)
    assert event.kind == Kind.NOTIFICATION
    assert event.raw["order_id"] == "ORDER-NOBODY"
    assert event.signature_valid is None


def test_body_that_is_not_an_object_is_400(api_client):
    assert api_client.post(NOTIFY, [1, 2], format="json").status_code == 400


def test_status_api_outage_is_502_so_midtrans_retries(gw, api_client, pending):
    stubs.stub_timeout(responses.GET, stubs.core_url("/v2/ORDER-2024-0001/status"))
    body = stubs.midtrans_notification("ORDER-2024-0001", "settlement", 150000)
    response = notify(api_client, body)
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "gateway_error"
    pending.refresh_from_db()
    assert pending.status == Status.PENDING
    assert list(pending.events.values_list("kind", flat=True)) == [Kind.NOTIFICATION]


def test_notification_amount_mismatch_is_flagged(gw, api_client, pending, status_changes):
    body = stubs.midtrans_notification("ORDER-2024-0001", "settlement", 1500)
    stubs.stub_status("ORDER-2024-0001", "settlement", 1500)
    assert notify(api_client, body).status_code == 200
    pending.refresh_from_db()
    assert pending.status == Status.PENDING
    assert pending.amount_mismatch is True
    assert status_changes == []


def test_expire_vector_4_expires(gw, api_client, pay_merchant):
    payment = PaymentFactory(
        merchant=pay_merchant, gateway_order_id="ORDER-2024-0004", amount=Decimal("10000")
    )
    body = stubs.midtrans_notification("ORDER-2024-0004", "expire", 10000, fraud_status=None)
    assert body["signature_key"].startswith("e653fe476714")
    stubs.stub_status("ORDER-2024-0004", "expire", 10000, fraud_status=None)
    assert notify(api_client, body).status_code == 200
    payment.refresh_from_db()
    assert payment.status == Status.EXPIRED


# --- Xendit ---------------------------------------------------------------------------------


@pytest.fixture
def qr(pay_merchant):
    return PaymentFactory(
        merchant=pay_merchant,
        reference_kind="order",
        reference_id="42",
        gateway=Payment.Gateway.XENDIT,
        method=Payment.Method.QRIS,
        amount=Decimal("35000"),
        gateway_order_id="photo-TRX-1-ABCDEF",
        gateway_transaction_id="qr_abc",
        snap_token="",
    )


def callback(api_client, body, token):
    headers = {} if token is None else {"HTTP_X_CALLBACK_TOKEN": token}
    return api_client.post(CALLBACK, body, format="json", **headers)


@pytest.mark.parametrize("nested", [True, False], ids=["nested", "flat"])
def test_xendit_callback_both_shapes_mark_paid(
    api_client, qr, xendit_token, status_changes, nested
):
    body = stubs.xendit_callback("qr_abc", qr.gateway_order_id, 35000, nested=nested)
    response = callback(api_client, body, xendit_token)
    assert response.status_code == 200, response.content
    qr.refresh_from_db()
    assert qr.status == Status.PAID
    assert status_changes == [("42", Status.PENDING, Status.PAID)]
    # The same callback again is a no-op.
    assert callback(api_client, body, xendit_token).status_code == 200
    assert status_changes == [("42", Status.PENDING, Status.PAID)]
    # Two callbacks logged as received, one change applied.
    assert qr.events.filter(kind=Kind.CALLBACK, signature_valid=True).count() == 2
    assert qr.events.filter(kind=Kind.CALLBACK).exclude(new_status="").count() == 1


def test_xendit_callback_found_by_qr_id_when_reference_is_missing(api_client, qr, xendit_token):
    body = stubs.xendit_callback("qr_abc", qr.gateway_order_id, 35000)
    del body["data"]["reference_id"]
    assert callback(api_client, body, xendit_token).status_code == 200
    qr.refresh_from_db()
    assert qr.status == Status.PAID


@pytest.mark.parametrize("token", ["wrong-token", "", None])
def test_xendit_wrong_or_missing_token_is_403(api_client, qr, xendit_token, token):
    body = stubs.xendit_callback("qr_abc", qr.gateway_order_id, 35000)
    assert callback(api_client, body, token).status_code == 403
    qr.refresh_from_db()
    assert qr.status == Status.PENDING
    assert qr.events.get().signature_valid is False


def test_xendit_callbacks_are_refused_while_no_token_is_configured(api_client, qr, settings):
    settings.XENDIT_CALLBACK_TOKEN = ""
    body = stubs.xendit_callback("qr_abc", qr.gateway_order_id, 35000)
    assert callback(api_client, body, "").status_code == 403


def test_xendit_unknown_qr_is_404(api_client, qr, xendit_token):
    body = stubs.xendit_callback("qr_other", "nobody", 35000)
    assert callback(api_client, body, xendit_token).status_code == 404


def test_xendit_amount_mismatch_is_flagged(api_client, qr, xendit_token):
    body = stubs.xendit_callback("qr_abc", qr.gateway_order_id, 3500)
    assert callback(api_client, body, xendit_token).status_code == 200
    qr.refresh_from_db()
    assert (qr.status, qr.amount_mismatch) == (Status.PENDING, True)


def test_xendit_status_check_tells_paid_from_expired(gw, qr):
    from payments.services import payment_check_status

    stubs.stub_xendit_qr_status("qr_abc", qr.gateway_order_id, 35000, status="ACTIVE")
    assert payment_check_status(payment=qr, actor=SYSTEM).status == Status.PENDING
    gw.replace(
        responses.GET,
        f"{stubs.XENDIT_BASE}/qr_codes/qr_abc",
        json=stubs.xendit_qr_payload(qr.gateway_order_id, 35000, status="INACTIVE", qr_id="qr_abc"),
    )
    stubs.stub_xendit_qr_payments("qr_abc", qr.gateway_order_id, 35000, paid=True)
    assert payment_check_status(payment=qr, actor=SYSTEM).status == Status.PAID
    assert gw.calls[-1].request.headers["api-version"] == "2022-07-31"


def test_xendit_inactive_without_payment_is_expired(gw, qr):
    from payments.services import payment_check_status

    stubs.stub_xendit_qr_status("qr_abc", qr.gateway_order_id, 35000, status="INACTIVE")
    stubs.stub_xendit_qr_payments("qr_abc", qr.gateway_order_id, 35000, paid=False)
    assert payment_check_status(payment=qr, actor=SYSTEM).status == Status.EXPIRED
