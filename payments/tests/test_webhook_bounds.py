"""Webhooks are bounded: what anyone can post to them costs us little and stores little."""

import json

import pytest

from payments.models import PaymentEvent
from payments.tests import stubs
from payments.webhook_guard import UNVERIFIED_KEEP_BYTES

pytestmark = pytest.mark.django_db
NOTIFY = "/api/v1/payments/midtrans/notification"
CALLBACK = "/api/v1/payments/xendit/callback"


def post_raw(api_client, body: str, url=NOTIFY, **extra):
    return api_client.generic("POST", url, body, content_type="application/json", **extra)


def stored_size(event: PaymentEvent) -> int:
    return len(json.dumps(event.raw, ensure_ascii=False).encode())


def test_unknown_order_keeps_only_a_truncated_body(api_client):
    body = {"order_id": "NOPE-1", "padding": "x" * 30_000}
    assert api_client.post(NOTIFY, body, format="json").status_code == 404
    event = PaymentEvent.objects.get()
    assert stored_size(event) <= UNVERIFIED_KEEP_BYTES
    assert event.raw["truncated"] is True
    assert event.raw["size_bytes"] > 30_000
    assert event.raw["head"].startswith('{"order_id": "NOPE-1"')


def test_bad_signature_keeps_only_a_truncated_body(api_client, pending):
    body = stubs.midtrans_notification(
        pending.gateway_order_id, "settlement", 150000, server_key="forged"
    )
    body["padding"] = "é" * 20_000
    assert api_client.post(NOTIFY, body, format="json").status_code == 403
    event = PaymentEvent.objects.get()
    assert event.signature_valid is False
    assert stored_size(event) <= UNVERIFIED_KEEP_BYTES


def test_small_rejected_bodies_are_kept_whole(api_client):
    body = {"order_id": "NOPE-2", "transaction_status": "settlement"}
    api_client.post(NOTIFY, body, format="json")
    assert PaymentEvent.objects.get().raw == body


def test_a_verified_notification_is_logged_whole(gw, api_client, pending):
    body = stubs.midtrans_notification(pending.gateway_order_id, "settlement", 150000)
    body["custom_field1"] = "y" * 10_000
    stubs.stub_status(pending.gateway_order_id, "settlement", 150000)
    assert api_client.post(NOTIFY, body, format="json").status_code == 200
    assert pending.events.get(kind=PaymentEvent.Kind.NOTIFICATION).raw == body


def test_xendit_callback_with_a_wrong_token_is_truncated(api_client, xendit_token):
    body = {"data": {"reference_id": "X-1", "padding": "z" * 20_000}}
    response = api_client.post(CALLBACK, body, format="json", HTTP_X_CALLBACK_TOKEN="wrong")
    assert response.status_code == 403
    assert stored_size(PaymentEvent.objects.get()) <= UNVERIFIED_KEEP_BYTES


@pytest.mark.parametrize("url", [NOTIFY, CALLBACK])
def test_a_body_over_the_limit_is_413_and_nothing_is_stored(api_client, settings, url):
    settings.WEBHOOK_MAX_BYTES = 64 * 1024
    body = json.dumps({"order_id": "BIG", "padding": "x" * (64 * 1024)})
    response = post_raw(api_client, body, url=url)
    assert response.status_code == 413
    assert "65536 bytes" in response.json()["error"]["message"]
    assert not PaymentEvent.objects.exists()


def test_nul_in_an_id_is_400(api_client, pending):
    response = post_raw(api_client, json.dumps({"order_id": pending.gateway_order_id + "\u0000x"}))
    assert response.status_code == 400
    assert "NUL" in response.json()["error"]["message"]
    assert not PaymentEvent.objects.exists()


@pytest.mark.parametrize("depth", [40, 5_000, 30_000])
def test_deeply_nested_json_is_400(api_client, depth):
    body = '{"order_id": "X", "a": ' + "[" * depth + "]" * depth + "}"
    response = post_raw(api_client, body)
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["error"]["message"]
    assert not PaymentEvent.objects.exists()


def test_rejected_notifications_are_throttled_per_address(gw, api_client, pending, settings):
    settings.THROTTLE_WEBHOOK_REJECTED = "3/min"
    codes = [
        api_client.post(
            NOTIFY, {"order_id": f"NOPE-{i}"}, format="json", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}"
        ).status_code
        for i in range(5)
    ]
    assert codes == [404, 404, 404, 429, 429]
    assert PaymentEvent.objects.count() == 3
    # Another address is not affected.
    body = stubs.midtrans_notification(pending.gateway_order_id, "settlement", 150000)
    stubs.stub_status(pending.gateway_order_id, "settlement", 150000)
    response = api_client.post(NOTIFY, body, format="json", REMOTE_ADDR="198.51.100.1")
    assert response.status_code == 200


def test_verified_notifications_are_not_counted(gw, api_client, pending, settings):
    settings.THROTTLE_WEBHOOK_REJECTED = "2/min"
    body = stubs.midtrans_notification(pending.gateway_order_id, "settlement", 150000)
    for _ in range(4):
        stubs.stub_status(pending.gateway_order_id, "settlement", 150000)
        assert api_client.post(NOTIFY, body, format="json").status_code == 200
