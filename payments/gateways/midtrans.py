"""Midtrans through `midtransclient` (Snap, Core API QRIS, status, cancel, expire, refund), and
all this product knows of Midtrans' payloads: notification signatures, `transaction_status`
and `fraud_status` → our statuses, `payment_type` → the channel a customer recognises.

The only module that imports `midtransclient`. The library calls `requests.request` without a
timeout and raises three unrelated exception families; here every call gets a timeout and every
failure becomes one `GatewayError` with a message a person can act on.
"""

import hashlib
import hmac
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

import midtransclient
import requests
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from merchants.errors import Conflict, GatewayError
from merchants.models import Merchant
from payments.gateways.base import (
    CustomerDetails,
    GatewayExchange,
    GatewayOutcome,
    LineItem,
    QrisCharge,
    SnapCheckout,
    StatusReport,
    items_total,
    reported_amount,
    to_minor_units,
)
from payments.models import Payment

logger = logging.getLogger(__name__)

MIDTRANS_TIME_FORMAT = "%Y-%m-%d %H:%M:%S %z"
NOT_FOUND = "404"

Status = Payment.Status

# transaction_status → ours (capture depends on fraud_status, see status_outcome).
STATUSES: dict[str, str] = {
    "pending": Status.PENDING,
    "authorize": Status.PENDING,
    "settlement": Status.PAID,
    "deny": Status.FAILED,
    "failure": Status.FAILED,
    "cancel": Status.CANCELLED,
    "expire": Status.EXPIRED,
    "refund": Status.REFUNDED,
    "chargeback": Status.REFUNDED,
    "partial_refund": Status.PARTIALLY_REFUNDED,
    "partial_chargeback": Status.PARTIALLY_REFUNDED,
}
CAPTURE_STATUSES: dict[str, str] = {
    "": Status.PAID,  # low-risk channels send no fraud_status
    "accept": Status.PAID,
    "challenge": Status.PENDING,  # held for review: not paid until accepted
    "deny": Status.FAILED,
}
# payment_type → what a customer recognises.
CHANNEL_LABELS: dict[str, str] = {
    "qris": "QRIS",
    "gopay": "GoPay",
    "shopeepay": "ShopeePay",
    "credit_card": "Card",
    "bank_transfer": "Bank transfer",
    "echannel": "Mandiri Bill",
    "permata": "Permata virtual account",
    "cstore": "Convenience store",
    "akulaku": "Akulaku",
    "kredivo": "Kredivo",
}


def status_outcome(payload: dict) -> GatewayOutcome:
    """A status answer or notification of Midtrans, in our terms."""
    transaction_status = str(payload.get("transaction_status") or "").lower()
    fraud_status = str(payload.get("fraud_status") or "").lower()
    if transaction_status == "capture":
        status = CAPTURE_STATUSES.get(fraud_status)
    else:
        status = STATUSES.get(transaction_status)
    refunded = reported_amount(payload.get("refund_amount"))
    return GatewayOutcome(
        status=status,
        gateway_status="/".join(filter(None, [transaction_status, fraud_status])),
        amount=reported_amount(payload.get("gross_amount")),
        transaction_id=str(payload.get("transaction_id") or ""),
        refunded_amount=refunded,
        reference=str(payload.get("order_id") or ""),
        key=f"{transaction_status}:{fraud_status}:{refunded or ''}",
    )


def reported_channel(raw: dict) -> str:
    """The `payment_type` of a stored status answer or notification ("gopay", "qris"…), or ""."""
    channel = raw.get("payment_type")
    return channel if isinstance(channel, str) else ""


def signature_for(*, order_id: str, status_code: str, gross_amount: str, server_key: str) -> str:
    """SHA-512 over the notification's own strings (gross_amount stays "150000.00")."""
    raw = f"{order_id}{status_code}{gross_amount}{server_key}"
    return hashlib.sha512(raw.encode("utf-8")).hexdigest()


def signature_is_valid(body: dict, *, server_key: str) -> bool:
    """Constant-time check of a notification's `signature_key` against the merchant's key."""
    received = body.get("signature_key")
    parts = [body.get(name) for name in ("order_id", "status_code", "gross_amount")]
    if (
        not server_key
        or not isinstance(received, str)
        or not all(isinstance(p, str) for p in parts)
    ):
        return False
    expected = signature_for(
        order_id=parts[0], status_code=parts[1], gross_amount=parts[2], server_key=server_key
    )
    return hmac.compare_digest(expected.encode(), received.lower().encode())


class _TimeoutRequests:
    """Stands in for the `requests` module inside midtransclient: same call, with a timeout."""

    def __init__(self, timeout: float):
        self.timeout = timeout

    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        kwargs.pop("timeout", None)
        return requests.request(method, url, timeout=self.timeout, **kwargs)


class MidtransGateway:
    name = "Midtrans"

    def __init__(self, *, server_key: str, is_production: bool):
        if not server_key:
            raise Conflict(
                gettext(
                    "This merchant has no Midtrans server key yet; an owner sets it in the admin "
                    "(Merchant → Midtrans)."
                ),
                code="gateway_not_configured",
            )
        self.timeout = float(settings.PAYMENT_GATEWAY_TIMEOUT_SECONDS)
        self.snap = self._configure(midtransclient.Snap(is_production=is_production), server_key)
        self.core = self._configure(midtransclient.CoreApi(is_production=is_production), server_key)

    @classmethod
    def for_merchant(cls, merchant: Merchant) -> "MidtransGateway":
        return cls(
            server_key=merchant.midtrans_server_key, is_production=merchant.midtrans_is_production
        )

    def _configure(self, client, server_key: str):
        client.api_config.set(server_key=server_key)
        # Fresh dicts: the library's defaults are shared mutable arguments.
        client.api_config.custom_headers = {}
        client.api_config.proxies = {}
        if settings.MIDTRANS_API_BASE_URL:
            client.api_config.CORE_SANDBOX_BASE_URL = settings.MIDTRANS_API_BASE_URL
            client.api_config.CORE_PRODUCTION_BASE_URL = settings.MIDTRANS_API_BASE_URL
        if settings.MIDTRANS_SNAP_BASE_URL:
            client.api_config.SNAP_SANDBOX_BASE_URL = settings.MIDTRANS_SNAP_BASE_URL
            client.api_config.SNAP_PRODUCTION_BASE_URL = settings.MIDTRANS_SNAP_BASE_URL
        client.http_client.http_client = _TimeoutRequests(self.timeout)
        return client

    # --- the calls -----------------------------------------------------------------------

    def create_snap(
        self,
        *,
        order_id: str,
        amount: Decimal,
        currency: str,
        items: list[LineItem],
        customer: CustomerDetails | None,
        expiry_minutes: int,
        finish_url: str = "",
    ) -> SnapCheckout:
        params: dict = {
            "transaction_details": {
                "order_id": order_id,
                "gross_amount": to_minor_units(amount, currency),
            },
            "item_details": self._item_details(items, amount, currency),
            "expiry": {
                "start_time": _midtrans_time(timezone.now()),
                "unit": "minute",
                "duration": expiry_minutes,
            },
            "credit_card": {"secure": True},
        }
        if customer is not None:
            params["customer_details"] = {
                key: value for key, value in vars(customer).items() if value
            }
        if finish_url:
            params["callbacks"] = {"finish": finish_url}
        response = self._call("snap_create", params, lambda: self.snap.create_transaction(params))
        token, redirect_url = response.get("token"), response.get("redirect_url")
        if not token or not redirect_url:
            raise GatewayError(gettext("Midtrans answered the Snap request without a token."))
        return SnapCheckout(
            token=token,
            redirect_url=redirect_url,
            exchange=GatewayExchange("snap_create", params, response),
        )

    def charge_qris(
        self,
        *,
        order_id: str,
        amount: Decimal,
        currency: str,
        expiry_minutes: int,
        description: str,
    ) -> QrisCharge:
        gross = to_minor_units(amount, currency)
        params = {
            "payment_type": "qris",
            "transaction_details": {"order_id": order_id, "gross_amount": gross},
            "item_details": [
                {"id": order_id[:50], "price": gross, "quantity": 1, "name": description[:50]}
            ],
            "qris": {"acquirer": "gopay"},
            "custom_expiry": {
                "order_time": _midtrans_time(timezone.now()),
                "expiry_duration": expiry_minutes,
                "unit": "minute",
            },
        }
        response = self._call("qris_charge", params, lambda: self.core.charge(params))
        qr_string = response.get("qr_string", "")
        if not qr_string:
            raise GatewayError(gettext("Midtrans accepted the QRIS charge but sent no QR string."))
        return QrisCharge(
            transaction_id=response.get("transaction_id", ""),
            qr_string=qr_string,
            expires_at=_parse_midtrans_time(response.get("expiry_time"))
            or timezone.now() + timedelta(minutes=expiry_minutes),
            exchange=GatewayExchange("qris_charge", params, response),
        )

    def get_status(self, *, order_id: str, transaction_id: str = "") -> StatusReport:
        return self._report(
            "status", {"order_id": order_id}, lambda: self.core.transactions.status(order_id)
        )

    def cancel(self, *, order_id: str) -> StatusReport:
        return self._report(
            "cancel", {"order_id": order_id}, lambda: self.core.transactions.cancel(order_id)
        )

    def expire(self, *, order_id: str) -> StatusReport:
        return self._report(
            "expire", {"order_id": order_id}, lambda: self.core.transactions.expire(order_id)
        )

    def refund(
        self, *, order_id: str, refund_key: str, amount: Decimal, currency: str, reason: str
    ) -> StatusReport:
        params = {
            "refund_key": refund_key,
            "amount": to_minor_units(amount, currency),
            "reason": reason[:255],
        }
        response = self._call(
            "refund", params, lambda: self.core.transactions.refund(order_id, params)
        )
        return StatusReport(payload=response, exchange=GatewayExchange("refund", params, response))

    # --- helpers -------------------------------------------------------------------------

    @staticmethod
    def _item_details(items: list[LineItem], amount: Decimal, currency: str) -> list[dict]:
        if items_total(items) != amount:
            raise ValueError(
                f"Item lines add up to {items_total(items)}, not the amount {amount}: "
                "Midtrans rejects that. Add tax, service or discount as their own lines."
            )
        details = [
            {
                "id": item.id[:50],
                "price": to_minor_units(item.price, currency),
                "quantity": item.quantity,
                "name": item.name[:50],
            }
            for item in items
        ]
        gross = to_minor_units(amount, currency)
        if sum(line["price"] * line["quantity"] for line in details) != gross:
            raise ValueError("Item lines do not add up to the gross amount in gateway units.")
        return details

    def _report(self, operation: str, request: dict, call: Callable[[], dict]) -> StatusReport:
        """Status-like calls: a 404 "doesn't exist" means Midtrans has no transaction yet."""
        try:
            response = self._call(operation, request, call)
        except GatewayError as error:
            if error.details.get("status_code") != NOT_FOUND:
                raise
            return StatusReport(
                payload=None,
                exchange=GatewayExchange(operation, request, error.details.get("response", {})),
            )
        return StatusReport(
            payload=response, exchange=GatewayExchange(operation, request, response)
        )

    def _call(self, operation: str, request: dict, call: Callable[[], dict]) -> dict:
        label = operation.replace("_", " ")
        try:
            response = call()
        except midtransclient.MidtransAPIError as error:
            body = error.api_response_dict if isinstance(error.api_response_dict, dict) else {}
            code = str(body.get("status_code") or error.http_status_code)
            reason = body.get("status_message") or body.get("error_messages") or "no reason given"
            raise GatewayError(
                gettext("Midtrans refused the %(label)s (status %(code)s): %(reason)s.")
                % {"label": label, "code": code, "reason": reason},
                details={"status_code": code, "operation": operation, "response": body},
            ) from error
        except midtransclient.JSONDecodeError as error:
            raise GatewayError(
                gettext(
                    "Midtrans answered the %(label)s with something that is not JSON (an "
                    "outage page?); try again in a minute."
                )
                % {"label": label},
                details={"operation": operation},
            ) from error
        except requests.Timeout as error:
            raise GatewayError(
                gettext(
                    "Midtrans did not answer the %(label)s within %(timeout)s s; try again "
                    "in a minute."
                )
                % {"label": label, "timeout": format(self.timeout, "g")},
                details={"operation": operation},
            ) from error
        except requests.RequestException as error:
            raise GatewayError(
                gettext(
                    "Could not reach Midtrans for the %(label)s (%(name)s); try again in a minute."
                )
                % {"label": label, "name": type(error).__name__},
                details={"operation": operation},
            ) from error
        if not isinstance(response, dict):
            raise GatewayError(
                gettext("Midtrans answered the %(label)s with an unexpected body.")
                % {"label": label}
            )
        return response


def _midtrans_time(moment: datetime) -> str:
    # Midtrans reads times in Jakarta time with an explicit offset.
    return timezone.localtime(moment, timezone.get_fixed_timezone(7 * 60)).strftime(
        MIDTRANS_TIME_FORMAT
    )


def _parse_midtrans_time(value: str | None) -> datetime | None:
    """Midtrans answers local Jakarta time without an offset, e.g. "2024-05-01 10:20:00"."""
    if not value:
        return None
    try:
        naive = datetime.strptime(value, "%Y-%m-%d %H:%M:%S")  # noqa: DTZ007 - offset added next
    except ValueError:
        logger.warning("Unreadable Midtrans time %r", value)
        return None
    return naive.replace(tzinfo=timezone.get_fixed_timezone(7 * 60))
