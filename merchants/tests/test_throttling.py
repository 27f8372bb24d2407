"""Throttles counted in one cache round trip: the rate holds, the window slides, fail open."""

import os

import pytest
from django.core.cache import caches
from django.test import RequestFactory
from rest_framework.request import Request

from merchants.throttling import AnonRateThrottle, counter_hit


class ThreePerMinute(AnonRateThrottle):
    rate = "3/min"


def request(ip="10.0.0.1"):
    return Request(RequestFactory().get("/", REMOTE_ADDR=ip))


def make(now):
    throttle = ThreePerMinute()
    throttle.timer = lambda: now
    return throttle


def test_the_rate_holds_per_address_and_says_how_long_to_wait():
    start = 60 * 1_000_000  # the start of a window
    for _ in range(3):
        assert make(start + 1).allow_request(request(), None)
    refused = make(start + 1)
    assert not refused.allow_request(request(), None)
    assert 0 < refused.wait() <= 60
    assert make(start + 1).allow_request(request("10.0.0.2"), None)  # another caller


def test_the_window_slides_over_the_previous_one():
    start = 60 * 1_000_000
    for _ in range(3):
        assert make(start + 50).allow_request(request(), None)
    # Just into the next window most of the previous one still counts...
    assert not make(start + 61).allow_request(request(), None)
    # ...and once it has slid out the caller may go on.
    assert make(start + 119).allow_request(request(), None)


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs a reachable Redis: REDIS_URL")
def test_one_round_trip_on_redis(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "merchants.cache.ResilientRedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": f"pos-throttle-{os.getpid()}",
        }
    }
    cache = caches["default"]
    cache.clear()
    client = cache._cache.get_client(write=True)
    calls = []
    original = client.execute_command

    def counted(*args, **kwargs):
        calls.append(args[0])
        return original(*args, **kwargs)

    client.execute_command = counted
    try:
        assert counter_hit("t", window=10, duration=60) == (1, 0)
        assert counter_hit("t", window=10, duration=60) == (2, 0)
        assert counter_hit("t", window=11, duration=60) == (1, 2)
    finally:
        client.execute_command = original
    assert len(calls) <= 4  # one EVALSHA each (and one EVAL the first time)
    assert 0 < client.ttl(cache.make_key("t:11")) <= 120
    cache.clear()


def test_a_cache_down_lets_requests_through(cache_down):
    for _ in range(5):
        assert make(60 * 1_000_000).allow_request(request(), None)
