"""The Midtrans adapter: the real midtransclient against `responses` stubs for every call."""

import base64
import json
from decimal import Decimal

import pytest
import requests
import responses

from merchants.errors import Conflict, GatewayError
from payments.gateways.base import CustomerDetails, LineItem, to_minor_units
from payments.gateways.midtrans import MidtransGateway
from payments.tests import stubs

AUTH = "Basic " + base64.b64encode(f"{stubs.SERVER_KEY}:".encode()).decode()


@pytest.fixture
def gateway(settings):
    settings.PAYMENT_GATEWAY_TIMEOUT_SECONDS = 4
    return MidtransGateway(server_key=stubs.SERVER_KEY, is_production=False)


def sent(gw, index=-1) -> dict:
    return json.loads(gw.calls[index].request.body)


def small_snap(gateway: MidtransGateway):
    """A one-line Snap request of IDR 1000 for order "o"."""
    return gateway.create_snap(
        order_id="o",
        amount=Decimal("1000"),
        currency="IDR",
        items=[LineItem("a", "A", Decimal("1000"))],
        customer=None,
        expiry_minutes=5,
    )


ITEMS = [
    LineItem(id="p-1", name="Kopi susu", price=Decimal("25000"), quantity=4),
    LineItem(id="tax", name="Tax 11%", price=Decimal("11000")),
    LineItem(id="service", name="Service 5%", price=Decimal("5000")),
    LineItem(id="promo", name="Promo", price=Decimal("-16000")),
]


def test_snap_create_sends_integer_amount_lines_that_add_up_and_a_timeout(gw, gateway):
    stubs.stub_snap_create()
    checkout = gateway.create_snap(
        order_id="order-1-AB",
        amount=Decimal("100000.00"),
        currency="IDR",
        items=ITEMS,
        customer=CustomerDetails(first_name="Ani", email="ani@example.com"),
        expiry_minutes=60,
        finish_url="https://shop.example/return",
    )
    assert checkout.token == stubs.SNAP_TOKEN
    call = gw.calls[0]
    assert call.request.url == stubs.snap_url()
    assert call.request.headers["Authorization"] == AUTH
    assert call.request.req_kwargs["timeout"] == 4
    body = sent(gw)
    assert body["transaction_details"] == {"order_id": "order-1-AB", "gross_amount": 100000}
    assert sum(i["price"] * i["quantity"] for i in body["item_details"]) == 100000
    assert {"id": "promo", "price": -16000, "quantity": 1, "name": "Promo"} in body["item_details"]
    assert body["expiry"]["unit"] == "minute"
    assert body["expiry"]["start_time"].endswith("+0700")
    assert body["customer_details"] == {"first_name": "Ani", "email": "ani@example.com"}
    assert body["callbacks"] == {"finish": "https://shop.example/return"}
    assert stubs.SERVER_KEY not in json.dumps(checkout.exchange.request)


def test_lines_that_do_not_add_up_are_refused_before_any_call(gw, gateway):
    with pytest.raises(ValueError, match="add up"):
        gateway.create_snap(
            order_id="x",
            amount=Decimal("100001"),
            currency="IDR",
            items=ITEMS,
            customer=None,
            expiry_minutes=60,
        )
    assert len(gw.calls) == 0


def test_production_flag_and_base_url_overrides(gw, settings):
    stubs.stub_snap_create(production=True)
    small_snap(MidtransGateway(server_key="Mid-server-LIVE", is_production=True))
    assert gw.calls[-1].request.url == stubs.snap_url(production=True)

    settings.MIDTRANS_SNAP_BASE_URL = "http://simulator.test/snap/v1"
    settings.MIDTRANS_API_BASE_URL = "http://simulator.test"
    gw.add(
        responses.POST,
        "http://simulator.test/snap/v1/transactions",
        json={"token": "t", "redirect_url": "http://r"},
    )
    gw.add(
        responses.GET,
        "http://simulator.test/v2/o/status",
        json=stubs.status_payload("o", "pending", 1000),
    )
    simulated = MidtransGateway(server_key="Mid-server-LIVE", is_production=True)
    small_snap(simulated)
    assert simulated.get_status(order_id="o").payload["transaction_status"] == "pending"


def test_qris_charge_with_custom_expiry(gw, gateway):
    stubs.stub_qris_charge()
    charge = gateway.charge_qris(
        order_id="photo-7-CD",
        amount=Decimal("35000"),
        currency="IDR",
        expiry_minutes=15,
        description="Photo session, 2 prints",
    )
    body = sent(gw)
    assert gw.calls[0].request.url == stubs.core_url("/v2/charge")
    assert gw.calls[0].request.req_kwargs["timeout"] == 4
    assert body["payment_type"] == "qris"
    assert body["transaction_details"] == {"order_id": "photo-7-CD", "gross_amount": 35000}
    assert body["custom_expiry"]["expiry_duration"] == 15
    assert body["custom_expiry"]["unit"] == "minute"
    assert body["item_details"][0]["price"] == 35000
    assert charge.qr_string.startswith("0002")
    assert charge.transaction_id == "22222222-2222-2222-2222-222222222222"
    assert charge.expires_at.isoformat() == "2024-05-01T10:15:00+07:00"


@pytest.mark.parametrize(
    ("call", "method", "path", "stub"),
    [
        ("cancel", responses.POST, "/v2/ORD-1/cancel", stubs.stub_cancel),
        ("expire", responses.POST, "/v2/ORD-1/expire", stubs.stub_expire),
    ],
)
def test_cancel_and_expire(gw, gateway, call, method, path, stub):
    stub("ORD-1", 1000)
    report = getattr(gateway, call)(order_id="ORD-1")
    assert gw.calls[0].request.method == method
    assert gw.calls[0].request.url == stubs.core_url(path)
    assert gw.calls[0].request.req_kwargs["timeout"] == 4
    assert report.payload["transaction_status"] == call


def test_status_and_the_not_found_answer(gw, gateway):
    stubs.stub_status("ORD-1", "settlement", 1000)
    report = gateway.get_status(order_id="ORD-1")
    assert report.payload["transaction_status"] == "settlement"
    assert gw.calls[0].request.req_kwargs["timeout"] == 4

    stubs.stub_status_not_found("ORD-2")
    missing = gateway.get_status(order_id="ORD-2")
    assert missing.payload is None
    assert missing.exchange.response["status_code"] == "404"


def test_refund_full_and_partial(gw, gateway):
    stubs.stub_refund("ORD-1", 150000, refund_amount=50000, partial=True)
    report = gateway.refund(
        order_id="ORD-1",
        refund_key="ORD-1-r50000",
        amount=Decimal("50000.00"),
        currency="IDR",
        reason="Cold coffee",
    )
    assert sent(gw) == {"refund_key": "ORD-1-r50000", "amount": 50000, "reason": "Cold coffee"}
    assert gw.calls[0].request.url == stubs.core_url("/v2/ORD-1/refund")
    assert report.payload["transaction_status"] == "partial_refund"


@pytest.mark.parametrize(
    ("stub", "message"),
    [
        (lambda: stubs.stub_timeout(responses.GET, stubs.core_url("/v2/O/status")), "within 4 s"),
        (
            lambda: responses.add(
                responses.GET,
                stubs.core_url("/v2/O/status"),
                body=requests.exceptions.ConnectionError("refused"),
            ),
            "Could not reach Midtrans",
        ),
        (lambda: stubs.stub_core_error(responses.GET, "/v2/O/status"), "not JSON"),
        (
            lambda: responses.add(
                responses.GET,
                stubs.core_url("/v2/O/status"),
                json={"status_code": "500", "status_message": "Internal error"},
                status=500,
            ),
            "status 500",
        ),
        (
            # 4xx in the body of an HTTP 200: the library raises, we say so clearly.
            lambda: responses.add(
                responses.GET,
                stubs.core_url("/v2/O/status"),
                json={"status_code": "401", "status_message": "Unknown Merchant server_key"},
            ),
            "status 401",
        ),
    ],
)
def test_every_failure_is_one_gateway_error(gw, gateway, stub, message):
    stub()
    with pytest.raises(GatewayError, match=message) as raised:
        gateway.get_status(order_id="O")
    assert raised.value.status_code == 502


def test_snap_5xx_is_a_gateway_error(gw, gateway):
    stubs.stub_snap_create(status=503, body={"error_messages": ["Service unavailable"]})
    with pytest.raises(GatewayError, match="Service unavailable"):
        small_snap(gateway)


def test_missing_server_key_is_a_clear_conflict():
    with pytest.raises(Conflict, match="no Midtrans server key"):
        MidtransGateway(server_key="", is_production=False)


def test_minor_units():
    assert to_minor_units(Decimal("150000.00"), "IDR") == 150000
    assert to_minor_units(Decimal("12.34"), "USD") == 1234
    with pytest.raises(ValueError, match="whole numbers"):
        to_minor_units(Decimal("10.50"), "IDR")
