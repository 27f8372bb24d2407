"""Request ids, JSON log lines, the access line, /metrics, task and webhook metrics, Sentry."""

import io
import json
import logging
import re

import pytest
from django.urls import reverse
from prometheus_client import REGISTRY

from customers.auth import customer_token_issue
from customers.tests.factories import CustomerFactory
from merchants.observability.logs import JsonFormatter, RequestIdFilter
from photobox.tests.factories import KioskLocationFactory, PhotoSessionFactory

pytestmark = pytest.mark.django_db
HEX_ID = re.compile(r"^[0-9a-f]{32}$")
METRICS_TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture
def log_lines():
    """The JSON lines the product's log handler would write, from every logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(previous)


def access_lines(lines) -> list[dict]:
    return [line for line in lines if line["logger"] == "pos.access"]


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class TestRequestId:
    def test_a_sane_id_from_the_caller_is_kept_and_echoed(self, client):
        response = client.get("/health/", HTTP_X_REQUEST_ID="lb-7f3a:0001")
        assert response["X-Request-ID"] == "lb-7f3a:0001"

    @pytest.mark.parametrize("sent", [None, "", "x" * 129, "two words", "evil\nline", "ü"])
    def test_otherwise_a_new_one_is_made(self, client, sent):
        headers = {} if sent is None else {"HTTP_X_REQUEST_ID": sent}
        response = client.get("/health/", **headers)
        assert HEX_ID.match(response["X-Request-ID"])

    def test_every_line_of_a_request_carries_its_id(self, client, monkeypatch, log_lines):
        from merchants import health

        def slow_database():
            raise RuntimeError("database went away")

        monkeypatch.setitem(health.CHECKS, "database", slow_database)
        response = client.get("/health/", HTTP_X_REQUEST_ID="req-42")
        lines = log_lines()
        warning = next(line for line in lines if line["logger"] == "merchants.health")
        assert warning["request_id"] == "req-42"
        assert warning["level"] == "WARNING"
        # django.request reports the 503 after the middleware finished; it still has the id.
        django_line = next(line for line in lines if line["logger"] == "django.request")
        assert django_line["request_id"] == "req-42"
        assert "request" not in django_line  # its repr would carry the query string
        assert response["X-Request-ID"] == "req-42"
        # And nothing leaks to work done outside the request.
        logging.getLogger("after").warning("later")
        assert log_lines()[-1]["request_id"] is None

    def test_a_task_queued_by_a_request_logs_under_its_id(self, log_lines):
        from celery import shared_task

        from merchants.observability.context import request_id_var

        @shared_task(name="tests.observability.say")
        def say():
            logging.getLogger("tests.task").info("in the task")

        token = request_id_var.set("req-task-1")
        try:
            say.delay()
        finally:
            request_id_var.reset(token)
        [line] = [line for line in log_lines() if line["logger"] == "tests.task"]
        assert line["request_id"] == "req-task-1"

    def test_a_queued_task_carries_the_id_in_its_headers(self):
        from types import SimpleNamespace

        from merchants.observability import worker
        from merchants.observability.context import current_request_id, request_id_var

        headers = {}
        token = request_id_var.set("req-sent")
        try:
            worker._carry_request_id(headers=headers)
        finally:
            request_id_var.reset(token)
        assert headers == {"request_id": "req-sent"}
        # On the worker, the task's request holds the header; the task runs under that id.
        task = SimpleNamespace(name="tests.any", request=SimpleNamespace(request_id="req-sent"))
        worker._task_started(task=task)
        assert current_request_id() == "req-sent"
        worker._task_finished(task=task, state="SUCCESS")
        assert current_request_id() is None


class TestAccessLine:
    def test_one_line_per_request_with_who_what_and_how_long(
        self, owner_client, merchant, log_lines
    ):
        response = owner_client.get("/api/v1/products/?search=kopi", HTTP_X_REQUEST_ID="r-1")
        assert response.status_code == 200
        [line] = access_lines(log_lines())
        assert line["message"].startswith("GET /api/v1/products/ 200 ")
        assert line["request_id"] == "r-1"
        assert line["method"] == "GET"
        assert line["path"] == "/api/v1/products/"  # no query string
        assert line["route"] == "api:product-list"
        assert line["status"] == 200
        assert line["user_kind"] == "staff"
        assert line["merchant"] == merchant.pk
        assert line["duration_ms"] >= 0
        assert line["level"] == "INFO"

    def test_customer_kiosk_and_anonymous_callers(self, api_client, merchant, log_lines):
        customer = CustomerFactory(merchant=merchant)
        token = customer_token_issue(customer=customer).token
        api_client.get(reverse("api:customer-me"), HTTP_AUTHORIZATION=f"Bearer {token}")
        location = KioskLocationFactory(merchant=merchant, machine_code="PB-9")
        session = PhotoSessionFactory(merchant=merchant, location=location)
        api_client.get(
            reverse("api:photobox-kiosk-status", args=[session.external_id]),
            HTTP_X_KIOSK_KEY="key-PB-9",
        )
        api_client.get("/health/")
        customer_line, kiosk_line, anonymous_line = access_lines(log_lines())
        assert (customer_line["user_kind"], customer_line["merchant"]) == ("customer", merchant.pk)
        assert customer_line["status"] == 200
        assert (kiosk_line["user_kind"], kiosk_line["merchant"]) == ("kiosk", merchant.pk)
        assert kiosk_line["status"] == 200
        assert (anonymous_line["user_kind"], anonymous_line["merchant"]) == ("anonymous", None)

    def test_secret_tokens_in_paths_are_masked(self, client, log_lines):
        token = "s3cret-gallery-token-abcdef"
        client.get(f"/gallery/{token}/")
        [line] = access_lines(log_lines())
        assert token not in json.dumps(line)
        assert line["path"] == "/gallery/***/"
        assert line["route"] == "photobox-gallery-page"

    def test_no_access_line_below_info(self, client, log_lines, settings):
        logging.getLogger("pos.access").setLevel(logging.WARNING)
        try:
            client.get("/health/")
        finally:
            logging.getLogger("pos.access").setLevel(logging.NOTSET)
        assert access_lines(log_lines()) == []


class TestMetricsEndpoint:
    def test_refused_unless_a_token_or_network_is_set(self, client, settings):
        settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS = "", []
        response = client.get("/metrics")
        assert response.status_code == 403
        assert b"METRICS_TOKEN" in response.content

    def test_the_bearer_token_opens_it(self, client, settings):
        settings.METRICS_TOKEN = METRICS_TOKEN
        assert client.get("/metrics").status_code == 403
        wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope")
        assert wrong.status_code == 403
        right = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")
        assert right.status_code == 200
        assert right["Content-Type"].startswith("text/plain; version=")

    def test_an_allowed_network_opens_it(self, client, settings):
        settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS = "", ["10.0.0.0/8"]
        assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
        assert client.get("/metrics", REMOTE_ADDR="192.0.2.1").status_code == 403

    @pytest.mark.parametrize(
        ("host", "status"),
        [
            # The two scrape configs docs/operations.md (Metrics) shows: compose, Kubernetes.
            ("web:8000", 200),
            ("10-1-2-3.pos.pod.cluster.local:8000", 200),
            # A pod IP or a name ALLOWED_HOSTS lacks: refused before the token is read.
            ("10.1.2.3:8000", 400),
            ("pos-web.pos.svc:8000", 400),
        ],
    )
    def test_the_scraper_must_name_an_allowed_host(self, client, settings, host, status):
        """Prometheus sends its target's address as Host (it will not set another): the
        address it scrapes must be one ALLOWED_HOSTS lists."""
        settings.ALLOWED_HOSTS = ["pos.example.com", "web", ".pos.pod.cluster.local"]
        settings.METRICS_TOKEN = METRICS_TOKEN
        response = client.get(
            "/metrics", HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}"
        )
        assert response.status_code == status

    def test_requests_are_counted_by_route_method_and_status(self, client, settings):
        settings.METRICS_TOKEN = METRICS_TOKEN
        labels = {"route": "health", "method": "GET", "status": "200"}
        before = sample("pos_http_requests_total", **labels)
        client.get("/health/")
        client.get("/health/")
        client.get("/no/such/page/")
        assert sample("pos_http_requests_total", **labels) == before + 2
        assert sample("pos_http_requests_total", route="unmatched", method="GET", status="404")
        body = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}").content
        assert b'pos_http_requests_total{method="GET",route="health",status="200"}' in body
        assert b"pos_http_request_duration_seconds_bucket" in body


class TestTaskMetrics:
    def test_runs_and_failures_are_counted_by_task(self):
        from celery import shared_task

        @shared_task(name="tests.observability.works")
        def works():
            return 1

        @shared_task(name="tests.observability.fails")
        def fails():
            raise ValueError("no")

        works.delay()
        works.delay()
        fails.apply(throw=False)  # as a worker runs it: the error is recorded, not raised
        assert (
            sample(
                "pos_celery_task_runs_total", task="tests.observability.works", outcome="succeeded"
            )
            >= 2
        )
        assert (
            sample("pos_celery_task_runs_total", task="tests.observability.fails", outcome="failed")
            >= 1
        )
        assert (
            sample("pos_celery_task_duration_seconds_count", task="tests.observability.works") >= 2
        )


class TestWebhookMetrics:
    @pytest.mark.parametrize(
        ("body", "outcome", "status"),
        [
            ({"order_id": "NO-SUCH-ORDER", "signature_key": "x"}, "unknown_payment", 404),
            (["not", "an", "object"], "invalid", 400),
        ],
    )
    def test_midtrans_outcomes(self, api_client, body, outcome, status):
        before = sample("pos_payment_webhooks_total", gateway="midtrans", outcome=outcome)
        response = api_client.post("/api/v1/payments/midtrans/notification", body, format="json")
        assert response.status_code == status
        assert (
            sample("pos_payment_webhooks_total", gateway="midtrans", outcome=outcome) == before + 1
        )

    def test_xendit_with_a_wrong_token_is_rejected(self, api_client, settings):
        settings.XENDIT_CALLBACK_TOKEN = "the-right-one"
        before = sample("pos_payment_webhooks_total", gateway="xendit", outcome="rejected")
        response = api_client.post(
            "/api/v1/payments/xendit/callback",
            {"reference_id": "R-1"},
            format="json",
            HTTP_X_CALLBACK_TOKEN="wrong",
        )
        assert response.status_code == 403
        assert (
            sample("pos_payment_webhooks_total", gateway="xendit", outcome="rejected") == before + 1
        )


@pytest.mark.redis
def test_queue_length_is_read_from_the_broker_at_scrape_time(client, settings):
    import os
    import uuid

    import redis

    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs Redis: set REDIS_URL")
    from celery import current_app as app

    queue = f"metrics-test-{uuid.uuid4().hex[:8]}"
    connection = redis.Redis.from_url(url)
    previous = (app.conf.broker_url, app.conf.task_default_queue)
    app.conf.task_always_eager = False  # the root conftest puts it back
    app.conf.broker_url, app.conf.task_default_queue = url, queue
    connection.lpush(queue, "a", "b", "c")
    connection.lpush(f"{queue}\x06\x163", "d")  # a priority-3 message
    settings.METRICS_TOKEN = METRICS_TOKEN
    try:
        body = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}").content
    finally:
        app.conf.broker_url, app.conf.task_default_queue = previous
        connection.delete(queue, f"{queue}\x06\x163")
    assert f'pos_celery_queue_length{{queue="{queue}"}} 4.0'.encode() in body


def without_source_lines(node):
    """The event less the lines of code around each frame (this test's own source among them,
    with the secrets it sends written out)."""
    if isinstance(node, dict):
        code = {"pre_context", "context_line", "post_context"}
        return {key: without_source_lines(value) for key, value in node.items() if key not in code}
    if isinstance(node, list):
        return [without_source_lines(item) for item in node]
    return node


class TestSentry:
    """Events are scrubbed of personal data and secrets before they leave."""

    @pytest.fixture
    def sent(self):
        import sentry_sdk
        from sentry_sdk.transport import Transport

        from merchants.observability.sentry import sentry_init

        events = []

        class Capture(Transport):
            def capture_envelope(self, envelope):
                for item in envelope.items:
                    if item.headers.get("type") == "event":
                        events.append(item.payload.json)

        sentry_init(
            dsn="https://public@sentry.invalid/1",
            environment="test",
            traces_sample_rate=0.0,
            transport=Capture(),
        )
        yield events
        sentry_sdk.init()  # no DSN: off again

    def test_an_error_is_reported_without_personal_data(self, sent, monkeypatch, merchant):
        from django.core.signals import request_started
        from django.core.wsgi import get_wsgi_application
        from django.db import close_old_connections
        from django.test import RequestFactory

        from customers import services

        def broken(*, token):
            raise RuntimeError("could not sign in dewi@example.com")

        monkeypatch.setattr(services, "login_link_preview", broken)
        token = "magic-token-abcdefghijklmnop"
        environ = (
            RequestFactory()
            .get(
                f"/auth/magic/{token}/?email=dewi@example.com",
                HTTP_COOKIE="sessionid=a-session-cookie",
                HTTP_X_KIOSK_KEY="a-kiosk-key",
                HTTP_AUTHORIZATION="Bearer a-jwt",
                HTTP_X_REQUEST_ID="req-sentry",
            )
            .environ
        )
        statuses = []
        # Through the WSGI application, as gunicorn calls it (Sentry reads the request there).
        # As Django's test client does: the request must not close the test's connection
        # (the session middleware reads the cookie's session from the database).
        request_started.disconnect(close_old_connections)
        try:
            app = get_wsgi_application()
            b"".join(app(environ, lambda status, headers: statuses.append(status)))
        finally:
            request_started.connect(close_old_connections)
        assert statuses == ["500 Internal Server Error"]
        [event] = sent
        text = json.dumps(without_source_lines(event))
        for secret in ("dewi@example.com", token, "a-session-cookie", "a-kiosk-key", "a-jwt"):
            assert secret not in text
        assert "[email]" in text  # the exception message is kept, the address is not
        assert event["request"]["url"] == "http://testserver/auth/magic/***/"
        # Only harmless headers stay: no cookie, no Authorization, no kiosk key.
        assert event["request"]["headers"] == {"X-Request-Id": "req-sentry"}
        assert event["tags"]["request_id"] == "req-sentry"
        assert "user" not in event
