"""Throttles that cost one cache round trip per request.

DRF's `SimpleRateThrottle` keeps each caller's request times as a list: a read and a write to
Redis on every request, and a list that grows with the rate. These count instead, in windows of
the rate's duration, and estimate a sliding window from the current and previous counts (the
previous one weighted by how much of it still overlaps): one Lua call to Redis does the
increment, its expiry and the read of the previous window.

With Redis unreachable the request goes through (fail open, as everywhere in
merchants/cache.py). Another cache backend (local memory: tests, the embedded default) does the
same with `add`/`incr`/`get`.
"""

from django.core.cache import caches
from rest_framework import throttling

from merchants.cache import ResilientRedisCache

# KEYS[1]: this window's counter, KEYS[2]: the previous one; ARGV[1]: the counter's life.
_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {count, tonumber(redis.call('GET', KEYS[2]) or '0')}
"""


def counter_hit(key: str, *, window: int, duration: int) -> tuple[int, int] | None:
    """Count one request in `window`; answer (this window's count, the previous window's), or
    None when the cache cannot be reached."""
    current, previous = f"{key}:{window}", f"{key}:{window - 1}"
    cache = caches["default"]
    if isinstance(cache, ResilientRedisCache):
        return cache._call("throttle", None, _redis_hit, cache, current, previous, duration * 2)
    cache.add(current, 0, duration * 2)
    try:
        count = cache.incr(current)
    except ValueError:  # expired between the two calls
        cache.set(current, 1, duration * 2)
        count = 1
    return count, int(cache.get(previous) or 0)


def _redis_hit(cache, current: str, previous: str, life: int) -> tuple[int, int]:
    client = cache._cache.get_client(current, write=True)
    script = getattr(cache, "_throttle_script", None)
    if script is None:  # EVALSHA, falling back to EVAL once per Redis that lacks it
        script = cache._throttle_script = client.register_script(_HIT)
    count, before = script(
        keys=[cache.make_key(current), cache.make_key(previous)], args=[life], client=client
    )
    return int(count), int(before)


class CountingThrottleMixin:
    """For `SimpleRateThrottle` subclasses: the same rates and cache keys, one round trip."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        duration = int(self.duration)
        window = int(self.now // duration)
        counts = counter_hit(self.key, window=window, duration=duration)
        if counts is None:
            return True  # the cache is down: let the request through
        count, previous = counts
        elapsed = (self.now - window * duration) / duration
        estimated = count + previous * (1 - elapsed)
        self.wait_seconds = 0.0
        if estimated <= self.num_requests:
            return True
        # Until enough of the previous window has slid out (or this one ends).
        if previous and count <= self.num_requests:
            needed = (count + previous - self.num_requests) / previous
            self.wait_seconds = max(0.0, (needed - elapsed) * duration)
        else:
            self.wait_seconds = (window + 1) * duration - self.now
        return False

    def wait(self):
        return getattr(self, "wait_seconds", None)


class AnonRateThrottle(CountingThrottleMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(CountingThrottleMixin, throttling.UserRateThrottle):
    pass
