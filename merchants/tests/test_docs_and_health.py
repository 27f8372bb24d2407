import time

import pytest
import time_machine
from django.db.utils import OperationalError

pytestmark = pytest.mark.django_db


def test_schema_renders(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"openapi: 3" in response.content
    assert b"/api/v1/table-locations" in response.content


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_render_offline(client, path):
    response = client.get(path)
    assert response.status_code == 200
    body = response.content.decode()
    # Served from our static files (sidecar), never from a CDN.
    assert "cdn.jsdelivr" not in body
    assert "/static/drf_spectacular_sidecar/" in body


def test_health_ok(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"
    assert response.json()["checks"]["broker"] == "skipped"  # eager mode, no broker


def test_health_reports_a_stopped_database(client, monkeypatch):
    from merchants import health

    def down():
        raise OperationalError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", down)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("down")


def test_health_reports_a_stopped_cache(client, monkeypatch):
    from django.core.cache.backends.redis import RedisCache

    from merchants import health

    # Nothing listens on port 1.
    monkeypatch.setattr(health, "cache", RedisCache("redis://127.0.0.1:1/0", {}))
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"].startswith("down")


def test_health_reports_a_stopped_broker(client):
    from celery import current_app as app

    previous = app.conf.broker_url
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/health/")
    finally:
        app.conf.broker_url = previous
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("down")


class TestLiveness:
    """With a broker, /health/ also says whether a worker answers and beat's heartbeat is fresh;
    either being down degrades the answer but never makes it a 503."""

    @pytest.fixture
    def with_broker(self, monkeypatch):
        from celery import current_app as app

        from merchants import health

        app.conf.task_always_eager = False  # the root conftest puts it back
        monkeypatch.setitem(health.CHECKS, "broker", lambda: None)
        pongs = [{"celery@worker-1": {"ok": "pong"}}]
        asked = []

        def ping(**kwargs):
            asked.append(kwargs)
            return pongs

        monkeypatch.setattr(app.control, "ping", ping)
        return pongs, asked

    def test_all_alive(self, client, with_broker, settings):
        from merchants.health import beat_heartbeat_record

        _pongs, asked = with_broker
        beat_heartbeat_record()
        response = client.get("/health/")
        assert response.status_code == 200
        assert response.json() == {
            "status": "ok",
            "checks": {
                "database": "ok",
                "cache": "ok",
                "broker": "ok",
                "worker": "ok",
                "beat": "ok",
                "secrets": "ok",
            },
            "outbox": {"pending": 0, "oldest_pending_seconds": 0},
        }
        # The first pong ends the wait; no pong waits this long.
        assert asked == [{"timeout": settings.HEALTH_WORKER_PING_TIMEOUT, "limit": 1}]

    def test_no_worker_and_no_heartbeat_degrade(self, client, with_broker):
        pongs, _asked = with_broker
        pongs.clear()
        response = client.get("/health/")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "degraded"
        assert body["checks"]["worker"].startswith("down")
        assert body["checks"]["beat"].startswith("down")

    def test_a_stale_heartbeat_is_down(self, client, with_broker, settings):

        from merchants.health import beat_heartbeat_record

        beat_heartbeat_record()
        later = time.time() + settings.BEAT_HEARTBEAT_MAX_AGE_SECONDS + 5
        with time_machine.travel(later, tick=False):
            body = client.get("/health/").json()
        assert body["checks"]["beat"].startswith("down")
        assert body["checks"]["worker"] == "ok"

    def test_a_database_down_is_still_a_503(self, client, with_broker, monkeypatch):
        from merchants import health

        def down():
            raise OperationalError("connection refused")

        monkeypatch.setitem(health.CHECKS, "database", down)
        with_broker[0].clear()
        response = client.get("/health/")
        assert response.status_code == 503
        assert response.json()["status"] == "unhealthy"


class TestBeatHeartbeat:
    def test_the_scheduler_writes_it_on_its_ticks_at_most_every_ten_seconds(self, monkeypatch):
        from django_celery_beat.schedulers import DatabaseScheduler

        from merchants import beat
        from merchants.health import beat_heartbeat_age

        monkeypatch.setattr(DatabaseScheduler, "tick", lambda self, *a, **k: 5.0)
        written = []
        monkeypatch.setattr(beat, "beat_heartbeat_record", lambda: written.append(1))
        scheduler = object.__new__(beat.HeartbeatScheduler)  # no database schedule needed
        clock = [1000.0]
        monkeypatch.setattr(time, "monotonic", lambda: clock[0])
        assert scheduler.tick() == 5.0
        clock[0] += 5
        scheduler.tick()
        clock[0] += 5
        scheduler.tick()
        assert len(written) == 2
        assert beat_heartbeat_age() is None  # the real record was replaced above

    def test_a_cache_outage_does_not_stop_the_schedule(self, monkeypatch):
        from django_celery_beat.schedulers import DatabaseScheduler

        from merchants import beat

        monkeypatch.setattr(DatabaseScheduler, "tick", lambda self, *a, **k: 5.0)

        def down():
            raise ConnectionError("redis is down")

        monkeypatch.setattr(beat, "beat_heartbeat_record", down)
        assert object.__new__(beat.HeartbeatScheduler).tick() == 5.0
