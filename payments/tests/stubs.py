"""HTTP stubs of Midtrans and Xendit for `responses`, shared by every app that takes payments.

The real `midtransclient` runs against them. Use inside `responses.activate` or a
`responses.RequestsMock()`; each `stub_*` registers one answer and returns the payload it serves
(so a test can compare), and `midtrans_notification` builds a correctly signed webhook body.

    @responses.activate
    def test_paid(...):
        stub_snap_create()
        payment = payment_create_snap(...)
        stub_status(payment.gateway_order_id, "settlement", payment.amount)
"""

from decimal import Decimal

import responses

from payments.gateways.midtrans import signature_for

SERVER_KEY = "SB-Mid-server-TEST123"
CLIENT_KEY = "SB-Mid-client-TEST123"
XENDIT_SECRET_KEY = "xnd_development_TEST123"
XENDIT_CALLBACK_TOKEN = "xendit-callback-token-TEST"

SNAP_SANDBOX = "https://app.sandbox.midtrans.com/snap/v1"
CORE_SANDBOX = "https://api.sandbox.midtrans.com"
SNAP_PRODUCTION = "https://app.midtrans.com/snap/v1"
CORE_PRODUCTION = "https://api.midtrans.com"
XENDIT_BASE = "https://api.xendit.co"

SNAP_TOKEN = "66e4fa55-fdac-4ef9-91b5-733b97d1b862"

STATUS_CODES = {
    "settlement": "200",
    "capture": "200",
    "pending": "201",
    "deny": "202",
    "cancel": "200",
    "expire": "407",
    "refund": "200",
    "partial_refund": "200",
    "failure": "202",
}


def gross(amount) -> str:
    """Midtrans writes amounts as "150000.00"."""
    return f"{Decimal(amount):.2f}"


def snap_url(*, production: bool = False) -> str:
    return f"{SNAP_PRODUCTION if production else SNAP_SANDBOX}/transactions"


def core_url(path: str, *, production: bool = False) -> str:
    return f"{CORE_PRODUCTION if production else CORE_SANDBOX}{path}"


def stub_snap_create(
    *, token: str = SNAP_TOKEN, production: bool = False, status: int = 201, body=None
) -> dict:
    payload = (
        body
        if body is not None
        else {
            "token": token,
            "redirect_url": f"https://app.sandbox.midtrans.com/snap/v4/redirection/{token}",
        }
    )
    responses.add(responses.POST, snap_url(production=production), json=payload, status=status)
    return payload


def status_payload(
    order_id: str,
    transaction_status: str,
    amount,
    *,
    fraud_status: str | None = "accept",
    payment_type: str = "qris",
    transaction_id: str = "11111111-1111-1111-1111-111111111111",
    **extra,
) -> dict:
    """What Midtrans's status API (and a notification) says about one transaction."""
    payload = {
        "status_code": STATUS_CODES.get(transaction_status, "200"),
        "status_message": "Success, transaction is found",
        "transaction_id": transaction_id,
        "order_id": order_id,
        "gross_amount": gross(amount),
        "currency": "IDR",
        "payment_type": payment_type,
        "transaction_time": "2024-05-01 10:00:00",
        "transaction_status": transaction_status,
        "merchant_id": "G123456789",
    }
    if fraud_status is not None:
        payload["fraud_status"] = fraud_status
    payload.update(extra)
    return payload


def stub_status(order_id: str, transaction_status: str, amount, **kwargs) -> dict:
    payload = status_payload(order_id, transaction_status, amount, **kwargs)
    responses.add(responses.GET, core_url(f"/v2/{order_id}/status"), json=payload)
    return payload


def not_found_payload() -> dict:
    # Core API says "not found" in the body of an HTTP 200.
    return {"status_code": "404", "status_message": "Transaction doesn't exist."}


def stub_status_not_found(order_id: str) -> dict:
    payload = not_found_payload()
    responses.add(responses.GET, core_url(f"/v2/{order_id}/status"), json=payload)
    return payload


def stub_core_error(method: str, path: str, *, status: int = 503, body: str | None = None):
    """An outage: an HTML page (not JSON) with a 5xx, or any other raw body."""
    responses.add(
        method,
        core_url(path),
        body=body if body is not None else "<html><body>502 Bad Gateway</body></html>",
        status=status,
        content_type="text/html",
    )


def stub_timeout(method: str, url: str) -> None:
    import requests

    responses.add(method, url, body=requests.exceptions.ReadTimeout("read timed out"))


def qris_charge_payload(order_id: str, amount, **extra) -> dict:
    payload = {
        "status_code": "201",
        "status_message": "QRIS transaction is created",
        "transaction_id": "22222222-2222-2222-2222-222222222222",
        "order_id": order_id,
        "merchant_id": "G123456789",
        "gross_amount": gross(amount),
        "currency": "IDR",
        "payment_type": "qris",
        "transaction_time": "2024-05-01 10:00:00",
        "transaction_status": "pending",
        "fraud_status": "accept",
        "acquirer": "gopay",
        "qr_string": "00020101021226620014COM.GO-JEK.WWW011993600914...6304ABCD",
        "expiry_time": "2024-05-01 10:15:00",
        "actions": [
            {
                "name": "generate-qr-code",
                "method": "GET",
                "url": "https://api.sandbox.midtrans.com/v2/qris/xyz/qr-code",
            }
        ],
    }
    payload.update(extra)
    return payload


def stub_qris_charge(amount=None, *, order_id: str = "", **extra) -> None:
    """Answers the charge with the order_id and amount it was sent (unless given)."""
    import json

    def callback(request):
        sent = json.loads(request.body)
        details = sent["transaction_details"]
        payload = qris_charge_payload(
            order_id or details["order_id"],
            amount if amount is not None else details["gross_amount"],
            **extra,
        )
        return 201, {}, json.dumps(payload)

    responses.add_callback(
        responses.POST, core_url("/v2/charge"), callback=callback, content_type="application/json"
    )


def stub_cancel(order_id: str, amount, **kwargs) -> dict:
    payload = status_payload(order_id, "cancel", amount, **kwargs)
    payload["status_message"] = "Success, transaction is canceled"
    responses.add(responses.POST, core_url(f"/v2/{order_id}/cancel"), json=payload)
    return payload


def stub_expire(order_id: str, amount, **kwargs) -> dict:
    payload = status_payload(order_id, "expire", amount, **kwargs)
    payload["status_message"] = "Success, transaction has expired"
    responses.add(responses.POST, core_url(f"/v2/{order_id}/expire"), json=payload)
    return payload


def stub_refund(order_id: str, amount, *, refund_amount, partial: bool, **kwargs) -> dict:
    payload = status_payload(
        order_id,
        "partial_refund" if partial else "refund",
        amount,
        refund_amount=gross(refund_amount),
        **kwargs,
    )
    payload["status_message"] = "Success, refund request is approved"
    responses.add(responses.POST, core_url(f"/v2/{order_id}/refund"), json=payload)
    return payload


def midtrans_notification(
    order_id: str,
    transaction_status: str,
    amount,
    *,
    server_key: str = SERVER_KEY,
    gross_amount: str | None = None,
    **kwargs,
) -> dict:
    """A notification body signed with `server_key` (pass another key to forge one)."""
    body = status_payload(order_id, transaction_status, amount, **kwargs)
    if gross_amount is not None:
        body["gross_amount"] = gross_amount
    body["signature_key"] = signature_for(
        order_id=body["order_id"],
        status_code=body["status_code"],
        gross_amount=body["gross_amount"],
        server_key=server_key,
    )
    return body


# --- Xendit -----------------------------------------------------------------------------------


def xendit_qr_payload(
    reference_id: str, amount, *, status: str = "ACTIVE", qr_id: str = ""
) -> dict:
    return {
        "id": qr_id or "qr_8182837te-87st-49ing-8696-1239bd4d759c",
        "business_id": "5f27a14a9bf05c73dd040bc8",
        "reference_id": reference_id,
        "type": "DYNAMIC",
        "currency": "IDR",
        "amount": int(Decimal(amount)),
        "channel_code": "ID_DANA",
        "status": status,
        "qr_string": "00020101021226580016ID.CO.QRIS.WWW0215ID1020210000000...6304EFGH",
        "expires_at": "2024-05-01T03:15:00.000Z",
        "created": "2024-05-01T03:00:00.000Z",
        "updated": "2024-05-01T03:00:00.000Z",
    }


def stub_xendit_qr_create(amount=None, *, status: int = 200) -> None:
    """Answers with the reference_id and amount it was sent; records nothing else."""
    import json

    def callback(request):
        sent = json.loads(request.body)
        payload = xendit_qr_payload(
            sent["reference_id"], amount if amount is not None else sent["amount"]
        )
        return status, {}, json.dumps(payload)

    responses.add_callback(
        responses.POST,
        f"{XENDIT_BASE}/qr_codes",
        callback=callback,
        content_type="application/json",
    )


def stub_xendit_qr_status(qr_id: str, reference_id: str, amount, *, status: str) -> dict:
    payload = xendit_qr_payload(reference_id, amount, status=status, qr_id=qr_id)
    responses.add(responses.GET, f"{XENDIT_BASE}/qr_codes/{qr_id}", json=payload)
    return payload


def stub_xendit_qr_payments(qr_id: str, reference_id: str, amount, *, paid: bool) -> dict:
    rows = [xendit_payment_data(qr_id, reference_id, amount)] if paid else []
    payload = {"data": rows, "has_more": False}
    responses.add(responses.GET, f"{XENDIT_BASE}/qr_codes/{qr_id}/payments", json=payload)
    return payload


def xendit_payment_data(qr_id: str, reference_id: str, amount, *, status: str = "SUCCEEDED"):
    return {
        "id": "qrpy_8182837te-87st-49ing-8696-1239bd4d759c",
        "business_id": "5f27a14a9bf05c73dd040bc8",
        "currency": "IDR",
        "amount": int(Decimal(amount)),
        "status": status,
        "created": "2024-05-01T03:05:00.000Z",
        "qr_id": qr_id,
        "qr_string": "0002010102...",
        "reference_id": reference_id,
        "type": "DYNAMIC",
        "channel_code": "ID_DANA",
        "expires_at": "2024-05-01T03:15:00.000Z",
        "payment_detail": {"receipt_id": "000000000001", "source": "DANA"},
    }


def xendit_callback(
    qr_id: str, reference_id: str, amount, *, nested: bool = True, status: str = "SUCCEEDED"
) -> dict:
    """A QR payment callback: nested under `data` (documented) or flat (seen in the wild)."""
    data = xendit_payment_data(qr_id, reference_id, amount, status=status)
    if not nested:
        return {"event": "qr.payment", **data}
    return {
        "event": "qr.payment",
        "business_id": "5f27a14a9bf05c73dd040bc8",
        "created": "2024-05-01T03:05:01.000Z",
        "data": data,
    }
