"""With Redis down the cache answers like a miss: throttles and lock-outs fail open, warned."""

import logging
import os
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCacheClient

from merchants.api.views import StaffLoginThrottle
from merchants.cache import cache_forget_failures

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/v1/auth/staff/token"


def test_every_call_answers_like_a_miss(cache_down):
    assert cache.get("k") is None
    assert cache.get("k", 5) == 5
    cache.set("k", 1)  # dropped, no error
    assert cache.add("k", 1) is False
    assert cache.has_key("k") is False
    assert cache.delete("k") is False
    assert cache.get_many(["a", "b"]) == {}
    assert cache.set_many({"a": 1}) == ["a"]
    cache.delete_many(["a"])
    assert cache.touch("k") is False
    with pytest.raises(ValueError, match="unreachable"):
        cache.incr("k")


def test_one_warning_per_operation_and_one_try_per_retry_window(cache_down, caplog, settings):
    settings.CACHE_RETRY_SECONDS = 60
    with (
        caplog.at_level(logging.WARNING, logger="merchants.cache"),
        mock.patch.object(RedisCacheClient, "get", side_effect=ConnectionError) as redis_get,
    ):
        for _ in range(20):
            assert cache.get("k") is None
        assert redis_get.call_count == 1  # the other 19 did not wait on Redis
        cache_forget_failures()  # the window is over: Redis is asked again
        cache.get("k")
        assert redis_get.call_count == 2
    warnings = [r for r in caplog.records if "Cache unreachable" in r.getMessage()]
    assert len(warnings) == 1
    assert "cache.get" in warnings[0].getMessage()


def test_throttles_fail_open(cache_down, api_client, owner, monkeypatch):
    monkeypatch.setattr(StaffLoginThrottle, "rate", "1/min", raising=False)
    body = {"username": owner.username, "password": "wrong"}
    statuses = [api_client.post(TOKEN_URL, body, format="json").status_code for _ in range(3)]
    assert statuses == [400, 400, 400]  # never 429 (nor 500) while the counters are unreadable


def test_throttles_still_count_with_the_cache_up(api_client, owner, monkeypatch):
    monkeypatch.setattr(StaffLoginThrottle, "rate", "1/min", raising=False)
    body = {"username": owner.username, "password": "wrong"}
    statuses = [api_client.post(TOKEN_URL, body, format="json").status_code for _ in range(2)]
    assert statuses == [400, 429]


def test_the_staff_login_lockout_fails_open(cache_down, api_client, owner, settings):
    settings.STAFF_LOGIN_MAX_FAILURES = 2
    for _ in range(4):
        response = api_client.post(
            TOKEN_URL, {"username": owner.username, "password": "wrong"}, format="json"
        )
        assert response.status_code == 400
    owner.set_password("right-one-123")
    owner.save()
    response = api_client.post(
        TOKEN_URL, {"username": owner.username, "password": "right-one-123"}, format="json"
    )
    assert response.status_code == 200


def test_health_still_reports_the_cache_down(cache_down, client):
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"].startswith("down")


def test_a_probe_asking_for_the_database_only_stays_ready(cache_down, client):
    response = client.get("/health/", {"checks": "database"})
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok"}
    assert client.get("/health/", {"checks": "database,nothing"}).status_code == 400


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs a reachable Redis: REDIS_URL")
def test_clear_leaves_other_keys_of_the_database_alone(settings):
    """The broker's queues may share the cache's Redis database: clearing the cache keeps them."""
    import redis

    settings.CACHES = {
        "default": {
            "BACKEND": "merchants.cache.ResilientRedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": f"pos-clear-{os.getpid()}",
        }
    }
    raw = redis.Redis.from_url(os.environ["REDIS_URL"])
    queue = f"celery-like-queue-{os.getpid()}"
    raw.lpush(queue, "a task")
    try:
        cache.set("throttle", [1, 2])
        assert cache.get("throttle") == [1, 2]
        cache.clear()
        assert cache.get("throttle") is None
        assert raw.llen(queue) == 1
    finally:
        raw.delete(queue)


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs a reachable Redis: REDIS_URL")
def test_one_redis_client_serves_every_call_and_survives_a_dropped_connection(settings):
    """Django makes a `redis.Redis` per cache call (a quarter of a millisecond each); the
    product keeps one per connection pool, which reconnects when Redis drops its connection."""
    import redis

    settings.CACHES = {
        "default": {
            "BACKEND": "merchants.cache.ResilientRedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": f"pos-client-{os.getpid()}",
        }
    }
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client() is client
    with mock.patch.object(cache._cache, "_client", side_effect=AssertionError("a new client")):
        cache.set("k", 1)
        assert cache.get_many(["k"]) == {"k": 1}
    raw = redis.Redis.from_url(os.environ["REDIS_URL"])
    raw.client_kill_filter(_type="normal", skipme=True)  # every connection but this one
    try:
        assert cache.get("k") == 1  # the pool connects again
    finally:
        cache.clear()
