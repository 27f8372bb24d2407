"""A slow gateway holds at most N calls per merchant; the next answers 503 at once, while the
kiosk poll and other merchants keep going."""

import json
import os
import threading
import time
from decimal import Decimal

import pytest
import responses

from merchants.tests.factories import MerchantFactory
from payments.gateway_slots import GatewayBusy, gateway_slot, gateway_slots_held
from payments.gateways.midtrans import MidtransGateway
from payments.services import _logged_call
from payments.tests import stubs

pytestmark = pytest.mark.django_db
SLOW_SECONDS = 2.0


@pytest.fixture
def one_slot(settings):
    settings.PAYMENT_GATEWAY_MAX_CONCURRENT_PER_MERCHANT = 1
    settings.PAYMENT_GATEWAY_ACQUIRE_TIMEOUT_SECONDS = 0.2
    settings.PAYMENT_GATEWAY_TIMEOUT_SECONDS = 8


@pytest.fixture
def slow_gateway(gw):
    """Midtrans' QRIS charge answering after SLOW_SECONDS (the real client library runs)."""
    started = threading.Event()

    def callback(request):
        started.set()
        time.sleep(SLOW_SECONDS)
        details = json.loads(request.body)["transaction_details"]
        payload = stubs.qris_charge_payload(details["order_id"], details["gross_amount"])
        return 201, {}, json.dumps(payload)

    responses.add_callback(responses.POST, stubs.core_url("/v2/charge"), callback=callback)
    return started


def charge_in_a_thread(merchant) -> threading.Thread:
    gateway = MidtransGateway.for_merchant(merchant)

    def call():
        _logged_call(
            merchant,
            lambda: gateway.charge_qris(
                order_id=f"slow-{time.monotonic_ns()}",
                amount=Decimal(35000),
                currency="IDR",
                expiry_minutes=15,
                description="slow",
            ),
        )

    thread = threading.Thread(target=call)
    thread.start()
    return thread


def test_the_merchants_next_call_is_refused_fast_while_one_is_slow(
    one_slot, slow_gateway, pay_merchant
):
    thread = charge_in_a_thread(pay_merchant)
    assert slow_gateway.wait(5)
    started = time.monotonic()
    with pytest.raises(GatewayBusy) as busy:
        _logged_call(pay_merchant, lambda: pytest.fail("must not reach the gateway"))
    waited = time.monotonic() - started
    assert waited >= 0.2  # it waited the acquire timeout for a slot...
    assert thread.is_alive()  # ...and was refused while the slow call still held it
    assert (busy.value.status_code, busy.value.retry_after) == (503, 4)
    assert "try again in 4 seconds" in busy.value.message
    thread.join()
    assert gateway_slots_held(pay_merchant.pk) == 0  # released when the slow call ended
    assert _logged_call(pay_merchant, lambda: "free again") == "free again"


def test_other_merchants_are_not_held_up(one_slot, slow_gateway, pay_merchant):
    thread = charge_in_a_thread(pay_merchant)
    assert slow_gateway.wait(5)
    other = MerchantFactory(slug="other-gw")
    assert _logged_call(other, lambda: "answered") == "answered"
    assert thread.is_alive()  # answered while the first merchant's slow call is in flight
    thread.join()


def test_a_slot_frees_when_a_call_fails(one_slot, pay_merchant):
    with pytest.raises(ZeroDivisionError), gateway_slot(pay_merchant.pk):
        raise ZeroDivisionError
    assert gateway_slots_held(pay_merchant.pk) == 0


def test_no_limit_when_set_to_zero(settings, pay_merchant):
    settings.PAYMENT_GATEWAY_MAX_CONCURRENT_PER_MERCHANT = 0
    with gateway_slot(pay_merchant.pk), gateway_slot(pay_merchant.pk):
        pass


def test_redis_unreachable_runs_the_call_without_the_limit(cache_down, one_slot, pay_merchant):
    with gateway_slot(pay_merchant.pk), gateway_slot(pay_merchant.pk):
        pass  # two at once: the limit is off while Redis is down


def _redis_url() -> str | None:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        return None
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return None
    return url


@pytest.mark.redis
@pytest.mark.skipif(_redis_url() is None, reason="needs a reachable Redis: set REDIS_URL")
def test_slots_are_shared_through_redis_and_a_dead_holders_slot_lapses(
    settings, one_slot, pay_merchant
):
    from django.core.cache import cache

    from payments import gateway_slots

    settings.CACHES = {
        "default": {
            "BACKEND": "merchants.cache.ResilientRedisCache",
            "LOCATION": _redis_url(),
            "KEY_PREFIX": f"pos-test-{os.getpid()}",
        }
    }
    client = gateway_slots._redis()
    key = gateway_slots._redis_key(pay_merchant.pk)
    client.delete(key)
    try:
        with gateway_slot(pay_merchant.pk):
            assert gateway_slots_held(pay_merchant.pk) == 1
            with pytest.raises(GatewayBusy), gateway_slot(pay_merchant.pk):
                pass
        assert gateway_slots_held(pay_merchant.pk) == 0
        # A process killed mid-call leaves its slot; it lapses after the lease.
        client.zadd(key, {"dead": time.time() - gateway_slots._lease_seconds() - 1})
        with gateway_slot(pay_merchant.pk):
            assert gateway_slots_held(pay_merchant.pk) == 1
    finally:
        client.delete(key)
        cache.clear()
