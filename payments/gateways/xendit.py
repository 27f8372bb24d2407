"""Xendit dynamic QRIS over plain `requests` (the official SDK has no QR Codes API), and all this
product knows of Xendit's payloads: QR code and QR payment statuses → ours, callback bodies,
`channel_code` → the e-wallet a customer recognises.

Uses QR Codes API version 2022-07-31: without the `api-version` header the QR renders but the
payment webhook never fires. Basic auth: the secret key as user name, empty password.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import requests
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from merchants.errors import Conflict, GatewayError
from merchants.models import Merchant
from payments.gateways.base import (
    GatewayExchange,
    GatewayOutcome,
    QrisCharge,
    StatusReport,
    reported_amount,
    to_minor_units,
)
from payments.models import Payment

API_VERSION = "2022-07-31"
# Payment statuses that mean the money arrived (v2 callback and the older v1 one).
PAID_STATUSES = frozenset({"SUCCEEDED", "COMPLETED"})

Status = Payment.Status

# QR code / QR payment status → ours.
STATUSES: dict[str, str] = {
    **dict.fromkeys(PAID_STATUSES, Status.PAID),
    "ACTIVE": Status.PENDING,
    "PENDING": Status.PENDING,
    "INACTIVE": Status.EXPIRED,  # only reported when no payment of the QR succeeded
    "EXPIRED": Status.EXPIRED,
    "FAILED": Status.FAILED,
}
# channel_code → what a customer recognises.
CHANNEL_LABELS: dict[str, str] = {
    "ID_DANA": "DANA (QRIS)",
    "ID_OVO": "OVO (QRIS)",
    "ID_LINKAJA": "LinkAja (QRIS)",
    "ID_SHOPEEPAY": "ShopeePay (QRIS)",
}


def status_outcome(payload: dict) -> GatewayOutcome:
    """A QR code, or a QR payment (from a status answer or a callback), in our terms."""
    status_text = str(payload.get("status") or "").upper()
    object_id = str(payload.get("id") or "")
    return GatewayOutcome(
        status=STATUSES.get(status_text),
        gateway_status=status_text.lower(),
        amount=reported_amount(payload.get("amount")),
        # The QR id is what we keep; a payment object (qrpy_…) names it in qr_id.
        transaction_id=str(
            payload.get("qr_id") or (object_id if object_id.startswith("qr_") else "")
        ),
        refunded_amount=None,
        reference=str(payload.get("reference_id") or ""),
        key=f"{status_text}:{object_id}",
    )


def reported_channel(raw: dict) -> str:
    """The `channel_code` of a stored QR payment ("ID_DANA"…), or ""."""
    channel = raw.get("channel_code")
    return channel if isinstance(channel, str) else ""


@dataclass(frozen=True)
class Callback:
    """What a QR payment callback names, flat or nested under `data` (as sent, unchecked)."""

    data: dict  # the QR payment object
    reference: object  # our gateway order id, under one of the names Xendit has used
    qr_id: object


def callback_read(body: dict) -> Callback:
    data = body.get("data") if isinstance(body.get("data"), dict) else body
    qr_code = data.get("qr_code") if isinstance(data.get("qr_code"), dict) else {}
    return Callback(
        data=data,
        reference=data.get("reference_id") or data.get("external_id") or qr_code.get("external_id"),
        qr_id=data.get("qr_id") or qr_code.get("id"),
    )


class XenditGateway:
    name = "Xendit"

    def __init__(self, *, secret_key: str):
        if not secret_key:
            raise Conflict(
                gettext(
                    "This merchant takes QRIS through Xendit but has no Xendit secret key; "
                    "an owner "
                    "sets it in the admin (Merchant → QRIS)."
                ),
                code="gateway_not_configured",
            )
        self.secret_key = secret_key
        self.base_url = settings.XENDIT_API_BASE_URL
        self.timeout = float(settings.PAYMENT_GATEWAY_TIMEOUT_SECONDS)

    @classmethod
    def for_merchant(cls, merchant: Merchant) -> "XenditGateway":
        return cls(secret_key=merchant.xendit_secret_key)

    def charge_qris(
        self,
        *,
        order_id: str,
        amount: Decimal,
        currency: str,
        expiry_minutes: int,
        description: str,
    ) -> QrisCharge:
        expires_at = timezone.now() + timedelta(minutes=expiry_minutes)
        body = {
            "reference_id": order_id,
            "type": "DYNAMIC",
            "currency": currency,
            "amount": to_minor_units(amount, currency),
            "expires_at": expires_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "metadata": {"description": description[:255]},
        }
        response = self._request("post", "/qr_codes", "qr_create", body)
        if not response.get("qr_string") or not response.get("id"):
            raise GatewayError(gettext("Xendit created the QR code but sent no QR string or id."))
        return QrisCharge(
            transaction_id=response["id"],
            qr_string=response["qr_string"],
            expires_at=_parse_time(response.get("expires_at")) or expires_at,
            exchange=GatewayExchange("qr_create", body, response),
        )

    def get_status(self, *, order_id: str, transaction_id: str) -> StatusReport:
        """The QR code, and once it is INACTIVE, its payments (paid or simply expired?)."""
        qr = self._request("get", f"/qr_codes/{transaction_id}", "qr_status", None)
        exchange = GatewayExchange("qr_status", {"qr_id": transaction_id}, qr)
        if qr.get("status") != "INACTIVE":
            return StatusReport(payload=qr, exchange=exchange)
        payments = self._request("get", f"/qr_codes/{transaction_id}/payments", "qr_payments", None)
        paid = [
            row
            for row in payments.get("data", [])
            if isinstance(row, dict) and row.get("status") in PAID_STATUSES
        ]
        payload = paid[0] if paid else qr
        return StatusReport(
            payload=payload,
            exchange=GatewayExchange(
                "qr_status", {"qr_id": transaction_id}, {"qr_code": qr, "payments": payments}
            ),
        )

    def _request(self, method: str, path: str, operation: str, body: dict | None) -> dict:
        label = operation.replace("_", " ")
        send: Callable[..., requests.Response] = getattr(requests, method)
        try:
            response = send(
                f"{self.base_url}{path}",
                json=body,
                auth=(self.secret_key, ""),
                headers={"api-version": API_VERSION, "accept": "application/json"},
                timeout=self.timeout,
            )
        except requests.Timeout as error:
            raise GatewayError(
                gettext("Xendit did not answer the %(label)s within %(timeout)s s; try again.")
                % {"label": label, "timeout": format(self.timeout, "g")},
                details={"operation": operation},
            ) from error
        except requests.RequestException as error:
            raise GatewayError(
                gettext("Could not reach Xendit for the %(label)s (%(name)s); try again.")
                % {"label": label, "name": type(error).__name__},
                details={"operation": operation},
            ) from error
        try:
            data = response.json()
        except ValueError as error:
            raise GatewayError(
                gettext(
                    "Xendit answered the %(label)s with something that is not JSON (HTTP "
                    "%(status_code)s); try again in a minute."
                )
                % {"label": label, "status_code": response.status_code},
                details={"operation": operation},
            ) from error
        if response.status_code >= 400 or not isinstance(data, dict):
            reason = data.get("message") if isinstance(data, dict) else None
            raise GatewayError(
                gettext("Xendit refused the %(label)s (HTTP %(status_code)s): %(value)s.")
                % {
                    "label": label,
                    "status_code": response.status_code,
                    "value": reason or "no reason given",
                },
                details={
                    "status_code": str(response.status_code),
                    "operation": operation,
                    "error_code": data.get("error_code") if isinstance(data, dict) else None,
                },
            )
        return data


def _parse_time(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None
