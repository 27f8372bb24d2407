"""The Redis cache, made to degrade instead of fail when Redis cannot be reached.

Everything the product keeps in the cache can be recomputed or done without: throttle counters,
the staff-login failure counts, the kiosk key lookups. So when Redis is down (connection refused,
timed out, still loading its data) a read answers as a miss and a write is dropped, and the
request goes on: throttles let the request through (fail open), the kiosk key is read from the
database, a login failure is not counted. One warning per operation is logged every
`CACHE_DOWN_LOG_SECONDS` per process, not one per request.

After a failure the process does not ask Redis again for `CACHE_RETRY_SECONDS`: a Redis on
another host whose packets vanish would otherwise cost every request a connect timeout.

`/health/` still reports the cache as down (its check writes and reads back a value).
"""

import logging
import threading
import time

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# What an unreachable or unusable Redis raises (BusyLoadingError is a ConnectionError).
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, ReadOnlyError, OSError)


class RateLimitedLog:
    """Log a warning at most once every `seconds` per key in this process (thread-safe)."""

    def __init__(self, log: logging.Logger):
        self.log = log
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def warning(
        self, key: str, seconds: float, message: str, *args, log: logging.Logger | None = None
    ) -> bool:
        now = time.monotonic()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < seconds:
                return False
            self._last[key] = now
        (log or self.log).warning(message, *args)
        return True

    def reset(self) -> None:
        with self._lock:
            self._last.clear()


rate_limited_log = RateLimitedLog(logger)
# Redis location -> monotonic time until which this process does not ask it (after a failure).
_down_until: dict[str, float] = {}


def cache_forget_failures() -> None:
    """Ask Redis again at the next call (tests; a process that knows Redis is back)."""
    _down_until.clear()


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client, keeping one `redis.Redis` per connection pool.

    Django makes a new `redis.Redis` for every cache call, and redis-py fills a table of about
    170 response callbacks each time: a quarter of a millisecond per call, several calls per
    request (the token's version, the throttle, a cached answer). A `redis.Redis` holds no
    connection of its own (it borrows one from the pool per command) and is safe to share.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}  # pool index -> redis.Redis

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)
            client = self._clients[index] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    """Django's `RedisCache` whose every call answers like a miss while Redis is unreachable."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient

    @property
    def is_down(self) -> bool:
        """True while this process skips this Redis after a failure."""
        return time.monotonic() < _down_until.get(self._server_key, 0.0)

    @property
    def _server_key(self) -> str:
        return ",".join(self._servers)

    def _call(self, operation: str, fallback, method, *args, **kwargs):
        if self.is_down:
            return fallback
        try:
            return method(*args, **kwargs)
        except UNAVAILABLE as error:
            # Shared by the threads of the process (Django makes a cache object per thread).
            _down_until[self._server_key] = time.monotonic() + settings.CACHE_RETRY_SECONDS
            rate_limited_log.warning(
                f"cache.{operation}",
                settings.CACHE_DOWN_LOG_SECONDS,
                "Cache unreachable (%s: %s): cache.%s answers without it; throttles let "
                "requests through and lookups go to the database until it is back.",
                type(error).__name__,
                error,
                operation,
            )
            return fallback

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", False, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call("get", default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._call("set", None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        # Like a missing key: the caller decides what a counter it cannot read means.
        result = self._call("incr", None, super().incr, key, delta, version)
        if result is None:
            raise ValueError(f"Key '{key}' not found (the cache is unreachable).")
        return result

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        self._call("delete_many", None, super().delete_many, keys, version)

    def clear(self):
        """Delete this cache's keys only. Django's own `clear()` empties the whole Redis
        database, and the Celery broker's queues may live in the same one."""
        return self._call("clear", False, self._delete_own_keys)

    def _delete_own_keys(self) -> bool:
        client = self._cache.get_client(write=True)
        # Keys are "<prefix>:<version>:<name>" (":1:name" without a prefix): never the broker's.
        pattern = f"{self.key_prefix}:*"
        batch = []
        for key in client.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                client.delete(*batch)
                batch.clear()
        if batch:
            client.delete(*batch)
        return True
