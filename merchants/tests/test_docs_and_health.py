import pytest
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
