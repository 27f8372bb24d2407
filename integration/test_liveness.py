"""/health/ against a real Celery worker and a real beat, on Redis and PostgreSQL.

The worker answers the health check's ping; beat's scheduler writes its heartbeat to Redis on
its own loop, where /health/ (and the beat container's healthcheck) read it.
"""

import os
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings
from django.core.cache import cache

from config import healthcheck
from config.celery_app import app
from integration.test_celery_worker import BASE_DIR, WAIT_SECONDS, Worker, _test_database_url
from integration.test_celery_worker import pytestmark as needs_redis_and_postgres

pytestmark = needs_redis_and_postgres


def wait_for_health(client, **expected: str) -> dict:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        body = client.get("/health/").json()
        if all(body["checks"][name] == state for name, state in expected.items()):
            return body
        if time.monotonic() > deadline:
            pytest.fail(f"/health/ never showed {expected}: {body}")
        time.sleep(0.2)


def test_health_reports_a_live_worker_and_beat(transactional_db, client, tmp_path):
    from merchants.health import BEAT_HEARTBEAT_KEY

    app.conf.task_always_eager = False  # as with a broker in production; conftest restores it
    cache.delete(BEAT_HEARTBEAT_KEY)
    worker = Worker(
        queue=f"liveness-{uuid.uuid4().hex[:10]}",
        email_url="dummymail://",
        log=tmp_path / "worker.log",
        extra_env={},
    )
    beat_log = (tmp_path / "beat.log").open("w")
    beat = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(tmp_path / "beat-schedule"),
        ],
        cwd=BASE_DIR,
        env={
            **os.environ,
            "DATABASE_URL": _test_database_url(),
            "CONN_MAX_AGE": "0",
            "CELERY_BROKER_URL": os.environ["REDIS_URL"],
            "CELERY_TASK_ALWAYS_EAGER": "false",
            # The keys this test process reads (each parallel test worker has its own prefix).
            "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
        },
        stdout=beat_log,
        stderr=subprocess.STDOUT,
    )
    try:
        body = wait_for_health(client, worker="ok", beat="ok")
        assert body["status"] == "ok"
        assert healthcheck.main(["beat"]) == 0
    finally:
        beat.terminate()
        beat.wait(timeout=20)
        beat_log.close()
        worker.stop()
        with app.connection_for_write() as conn:  # what beat sent meanwhile goes too
            conn.default_channel.queue_purge(app.conf.task_default_queue)

    body = wait_for_health(client, worker="down")
    assert body["status"] == "degraded"
