"""At most N gateway calls at once per merchant, so a slow gateway cannot hold every web worker.

Every call to a payment gateway (Snap tokens, QRIS charges, status checks, cancels, refunds)
runs inside `gateway_slot(merchant_id)`. When the merchant already has
`PAYMENT_GATEWAY_MAX_CONCURRENT_PER_MERCHANT` calls in flight (across every web process and
worker, counted in Redis), the next one waits up to `PAYMENT_GATEWAY_ACQUIRE_TIMEOUT_SECONDS`
for one to finish, then gives up with `GatewayBusy`: a 503 "try again" with `Retry-After`, while
the other threads keep serving the kiosk poll, other merchants and everything that does not
call the gateway. Each call still has its own timeout (`PAYMENT_GATEWAY_TIMEOUT_SECONDS`).

Why a limit and not moving the calls off the request: the caller is waiting for the gateway's
answer itself (the Snap token to open, the QR string to show), so a background task would only
move the wait into a poll and change every client; a cap per merchant bounds what one slow
gateway account can take from everyone else.

The slots live in a Redis sorted set per merchant (a slot is a random token scored by when it
was taken; slots older than a call can last are dropped, so a process killed mid-call frees its
slot). Without Redis (the embedded default) the count is per process. If Redis is unreachable
the limit is not applied (a warning says so): calls go on as before, each with its timeout.
"""

import logging
import math
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from django.conf import settings
from django.core.cache import cache

from merchants.cache import UNAVAILABLE, rate_limited_log
from merchants.errors import GatewayError

logger = logging.getLogger(__name__)
POLL_SECONDS = 0.05
_KEY = "gateway-slots:{merchant_id}"

# KEYS[1] the merchant's set; ARGV: now, oldest score still alive, limit, token, lease ms.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
    redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
    redis.call('PEXPIRE', KEYS[1], ARGV[5])
    return 1
end
return 0
"""


class GatewayBusy(GatewayError):
    """Too many calls to this merchant's gateway are already waiting for it."""

    status_code = 503
    code = "gateway_busy"

    def __init__(self, retry_after: int):
        super().__init__(
            "The payment gateway is slow to answer and this shop already has calls waiting "
            f"on it; try again in {retry_after} seconds.",
            details={"retry_after": retry_after},
        )
        self.retry_after = retry_after


def _lease_seconds() -> float:
    # Longer than any call can last (its timeout covers connect and read, plus our own work).
    return 2 * settings.PAYMENT_GATEWAY_TIMEOUT_SECONDS + 5


def _retry_after() -> int:
    return max(1, math.ceil(settings.PAYMENT_GATEWAY_TIMEOUT_SECONDS / 2))


class _LocalSlots:
    """Slots counted in this process (no Redis)."""

    def __init__(self):
        self._held: dict[int, int] = defaultdict(int)
        self._changed = threading.Condition()

    def acquire(self, merchant_id: int, limit: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._held[merchant_id] >= limit:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
            self._held[merchant_id] += 1
            return True

    def release(self, merchant_id: int) -> None:
        with self._changed:
            self._held[merchant_id] = max(self._held[merchant_id] - 1, 0)
            self._changed.notify_all()

    def held(self, merchant_id: int) -> int:
        with self._changed:
            return self._held[merchant_id]


_local = _LocalSlots()


def _redis():
    """The raw Redis client behind the default cache, or None (local memory)."""
    backend = getattr(cache, "_cache", None)
    get_client = getattr(backend, "get_client", None)
    return get_client(write=True) if get_client is not None else None


def _redis_key(merchant_id: int) -> str:
    return cache.make_key(_KEY.format(merchant_id=merchant_id))


def _acquire_redis(client, merchant_id: int, limit: int, timeout: float) -> str | None:
    token, key = uuid.uuid4().hex, _redis_key(merchant_id)
    lease = _lease_seconds()
    script = client.register_script(_ACQUIRE)
    deadline = time.monotonic() + timeout
    while True:
        now = time.time()
        if script(keys=[key], args=[now, now - lease, limit, token, int(lease * 1000)]):
            return token
        if time.monotonic() >= deadline:
            return None
        time.sleep(POLL_SECONDS)


@contextmanager
def gateway_slot(merchant_id: int) -> Iterator[None]:
    """Hold one of the merchant's gateway slots for the block, or raise `GatewayBusy`."""
    limit = settings.PAYMENT_GATEWAY_MAX_CONCURRENT_PER_MERCHANT
    if limit <= 0:
        yield
        return
    timeout = settings.PAYMENT_GATEWAY_ACQUIRE_TIMEOUT_SECONDS
    client = _redis()
    if client is None:
        if not _local.acquire(merchant_id, limit, timeout):
            raise GatewayBusy(_retry_after())
        try:
            yield
        finally:
            _local.release(merchant_id)
        return
    try:
        token = _acquire_redis(client, merchant_id, limit, timeout)
    except UNAVAILABLE as error:
        rate_limited_log.warning(
            "gateway-slots",
            settings.CACHE_DOWN_LOG_SECONDS,
            "Redis unreachable (%s): gateway calls run without the per-merchant limit.",
            type(error).__name__,
            log=logger,
        )
        yield
        return
    if token is None:
        logger.warning("Gateway busy for merchant %s: %s calls in flight", merchant_id, limit)
        raise GatewayBusy(_retry_after())
    try:
        yield
    finally:
        with suppress(*UNAVAILABLE):  # else the slot lapses with its lease
            client.zrem(_redis_key(merchant_id), token)


def gateway_slots_held(merchant_id: int) -> int:
    """Calls in flight for the merchant now (for tests and the admin's curiosity)."""
    client = _redis()
    if client is None:
        return _local.held(merchant_id)
    key = _redis_key(merchant_id)
    client.zremrangebyscore(key, "-inf", time.time() - _lease_seconds())
    return client.zcard(key)
