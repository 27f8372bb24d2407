"""Fixtures that take Redis away from a test: as the cache, and as the Celery broker.

`cache_down`: the default cache is the product's `ResilientRedisCache` pointed at a port where
nothing listens (every call is a refused connection, as when Redis is stopped).

`broker_down`: Celery is not eager, and publishing a task fails as kombu fails when Redis is
stopped; `broker_down.calls` counts the publishes tried. `broker_down.restore()` brings the
broker "back": tasks then run eagerly, in-process, as a worker would run them.
"""

from unittest import mock

import pytest
from kombu.exceptions import OperationalError

from merchants.cache import cache_forget_failures, rate_limited_log
from merchants.outbox import outbox_forget_broker_failures

NOTHING_LISTENS = "redis://127.0.0.1:1/0"


@pytest.fixture
def cache_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "merchants.cache.ResilientRedisCache",
            "LOCATION": NOTHING_LISTENS,
            "KEY_PREFIX": "pos",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    cache_forget_failures()
    rate_limited_log.reset()
    yield
    cache_forget_failures()
    rate_limited_log.reset()


class BrokerDown:
    def __init__(self):
        self.calls = 0
        self.down = True

    def restore(self) -> None:
        from celery import current_app as app

        self.down = False
        app.conf.task_always_eager = True
        outbox_forget_broker_failures()


@pytest.fixture
def broker_down():
    from celery import current_app as app
    from celery.app.task import Task

    state = BrokerDown()
    real_apply_async = Task.apply_async

    def apply_async(task, *args, **kwargs):
        if state.down:
            state.calls += 1
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        return real_apply_async(task, *args, **kwargs)

    outbox_forget_broker_failures()
    rate_limited_log.reset()
    app.conf.task_always_eager = False
    with mock.patch.object(Task, "apply_async", apply_async):
        yield state
    outbox_forget_broker_failures()
    # The suite's autouse fixture puts eager mode back.
