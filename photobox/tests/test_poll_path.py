"""The kiosk poll's fast path: the key remembered in the process, the answer given before DRF's
machinery, the shorter middleware chain. Each must answer exactly as the full path does, and a
key that is rotated or switched off must still stop working."""

import io
from wsgiref.util import setup_testing_defaults

import pytest
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections
from django.urls import reverse
from rest_framework.views import APIView

from photobox import auth
from photobox.api.views import KioskTransactionStatusView
from photobox.models import KioskLocation, PhotoSession
from photobox.tests.conftest import kiosk_client_for
from photobox.tests.factories import KioskLocationFactory, PhotoSessionFactory
from photobox.wsgi import SKIPPED_MIDDLEWARE, poll_middleware

pytestmark = pytest.mark.django_db


def poll_url(session) -> str:
    return reverse("api:photobox-kiosk-status", args=[session.external_id])


@pytest.fixture
def session(location):
    return PhotoSessionFactory(merchant=location.merchant, location=location)


@pytest.fixture
def shared_cache_reads(monkeypatch):
    """How often the shared cache (Redis in production) is asked for a kiosk key."""
    reads = []
    real_get = cache.get

    def get(key, *args, **kwargs):
        reads.append(key)
        return real_get(key, *args, **kwargs)

    monkeypatch.setattr(auth.cache, "get", get)
    return reads


@pytest.fixture
def clock(monkeypatch):
    """The monotonic clock the process-local tier reads, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: now[0])
    return now


def rotated_elsewhere(location: KioskLocation, new_key: str) -> None:
    """What a rotation in another web process leaves behind here: the database and the shared
    cache changed, this process's memory not (the rotating process cleared only its own)."""
    old_hash = location.key_hash
    KioskLocation.objects.filter(pk=location.pk).update(key_hash=auth.kiosk_key_hash(new_key))
    cache.delete(auth._cache_key(old_hash))


class TestProcessLocalTier:
    def test_a_remembered_key_costs_no_round_trip_and_one_query(
        self, kiosk, session, shared_cache_reads, django_assert_num_queries
    ):
        assert kiosk.get(poll_url(session)).status_code == 200
        assert len(shared_cache_reads) == 1
        with django_assert_num_queries(1):  # the session; the key from memory
            assert kiosk.get(poll_url(session)).status_code == 200
        assert len(shared_cache_reads) == 1

    def test_another_process_rotating_reaches_the_poll_within_its_seconds(
        self, settings, kiosk, location, session, clock
    ):
        settings.PHOTOBOX_POLL_KEY_LOCAL_SECONDS = 10
        assert kiosk.get(poll_url(session)).status_code == 200
        rotated_elsewhere(location, "key-rotated-elsewhere")
        clock[0] += 9
        assert kiosk.get(poll_url(session)).status_code == 200  # still within 10 s here
        clock[0] += 2
        assert kiosk.get(poll_url(session)).status_code == 401
        kiosk.credentials(HTTP_X_KIOSK_KEY="key-rotated-elsewhere")
        assert kiosk.get(poll_url(session)).status_code == 200

    def test_sales_uploads_and_prices_never_use_it(self, kiosk, location, session, price):
        assert kiosk.get(poll_url(session)).status_code == 200  # remembered for the poll
        rotated_elsewhere(location, "key-rotated-elsewhere")
        sale = kiosk.post(
            reverse("api:photobox-transaction-list"),
            {"price_id": price.pk, "email": "ani@example.com"},
            format="json",
        )
        assert sale.status_code == 401
        upload = reverse("api:photobox-kiosk-photos", args=[session.external_id])
        assert kiosk.post(upload, {}, format="multipart").status_code == 401
        assert kiosk.get(reverse("api:photobox-kiosk-prices")).status_code == 401

    def test_switching_the_location_off_here_takes_effect_at_once(self, kiosk, location, session):
        assert kiosk.get(poll_url(session)).status_code == 200
        location.is_active = False
        location.save()
        assert kiosk.get(poll_url(session)).status_code == 401

    def test_never_longer_than_the_shared_cache(
        self, settings, kiosk, session, clock, shared_cache_reads
    ):
        settings.PHOTOBOX_KIOSK_KEY_CACHE_SECONDS = 3
        settings.PHOTOBOX_POLL_KEY_LOCAL_SECONDS = 10
        kiosk.get(poll_url(session))
        clock[0] += 2
        kiosk.get(poll_url(session))
        assert len(shared_cache_reads) == 1
        clock[0] += 2
        kiosk.get(poll_url(session))
        assert len(shared_cache_reads) == 2

    def test_zero_switches_it_off(self, settings, kiosk, session, shared_cache_reads):
        settings.PHOTOBOX_POLL_KEY_LOCAL_SECONDS = 0
        for _ in range(3):
            assert kiosk.get(poll_url(session)).status_code == 200
        assert len(shared_cache_reads) == 3

    def test_an_unknown_key_is_not_remembered(self, location, session):
        stranger = kiosk_client_for(location, "key-not-yet-valid")
        assert stranger.get(poll_url(session)).status_code == 401
        KioskLocation.objects.filter(pk=location.pk).update(
            key_hash=auth.kiosk_key_hash("key-not-yet-valid")
        )
        assert stranger.get(poll_url(session)).status_code == 200  # at once

    def test_its_size_is_bounded(self, monkeypatch, shop):
        monkeypatch.setattr(auth, "_LOCAL_MAX_ENTRIES", 2)
        for location in KioskLocationFactory.create_batch(3, merchant=shop):
            assert auth.kiosk_identity_for_key(f"key-{location.machine_code}", local=True)
        assert len(auth._local_identities) == 1  # full at the third: started over

    def test_another_kiosk_remembered_is_still_another_kiosk(self, kiosk, location, session):
        other = KioskLocationFactory(merchant=location.merchant)
        theirs = PhotoSessionFactory(merchant=location.merchant, location=other)
        assert kiosk_client_for(other).get(poll_url(theirs)).status_code == 200
        assert kiosk.get(poll_url(session)).status_code == 200
        assert kiosk.get(poll_url(theirs)).status_code == 404


@pytest.fixture
def full_path_only(monkeypatch):
    """Every poll through DRF's full path, as before the direct answer existed."""
    monkeypatch.setattr(KioskTransactionStatusView, "_answer_directly", lambda *args: None)


@pytest.fixture
def drf_requests(monkeypatch):
    """Counts the requests DRF's machinery was built for."""
    built = []
    real = APIView.initialize_request

    def initialize_request(self, request, *args, **kwargs):
        built.append(request.path)
        return real(self, request, *args, **kwargs)

    monkeypatch.setattr(APIView, "initialize_request", initialize_request)
    return built


HEADERS = ("Content-Type", "Vary", "Allow", "X-Frame-Options", "X-Content-Type-Options")


def answer(response) -> tuple:
    return (response.status_code, response.content, {h: response.get(h) for h in HEADERS})


class TestDirectAnswer:
    @pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
    def test_a_plain_poll_is_answered_without_drf(self, kiosk, session, drf_requests, accept):
        headers = {"HTTP_ACCEPT": accept} if accept else {}
        assert kiosk.get(poll_url(session), **headers).status_code == 200
        assert drf_requests == []

    @pytest.mark.parametrize("encrypted", [False, True])
    def test_it_answers_exactly_what_drf_answers(
        self, settings, kiosk, location, monkeypatch, encrypted
    ):
        if encrypted:  # a fixed IV, so that two answers of the same row are equal
            settings.ENCRYPTION_ENABLED = True
            settings.ENCRYPTION_KEY = "k" * 32
            settings.ENCRYPTION_IV = "i" * 16
        for status in (PhotoSession.Status.PENDING, PhotoSession.Status.COMPLETED):
            session = PhotoSessionFactory(
                merchant=location.merchant, location=location, status=status
            )
            direct = answer(kiosk.get(poll_url(session)))
            with monkeypatch.context() as patch:
                patch.setattr(KioskTransactionStatusView, "_answer_directly", lambda *args: None)
                full = answer(kiosk.get(poll_url(session)))
            assert direct == full
            assert direct[0] == 200

    @pytest.mark.parametrize(
        ("extra", "query", "status"),
        [
            ({"HTTP_ACCEPT": "text/html"}, "", 406),
            ({}, "?format=json", 200),
            ({}, "?format=xml", 404),
        ],
    )
    def test_anything_but_a_plain_poll_takes_the_full_path(
        self, kiosk, session, drf_requests, extra, query, status
    ):
        assert kiosk.get(poll_url(session) + query, **extra).status_code == status
        assert len(drf_requests) == 1

    def test_head_takes_the_full_path(self, kiosk, session, drf_requests):
        assert kiosk.head(poll_url(session)).status_code == 200
        assert len(drf_requests) == 1

    def test_an_unknown_session_is_drfs_404_without_a_second_read(
        self, kiosk, location, django_assert_num_queries
    ):
        url = reverse("api:photobox-kiosk-status", args=["TRX-1-20250101100000-0000abcd"])
        with django_assert_num_queries(2):  # the key (not cached yet), the session
            response = kiosk.get(url)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        with django_assert_num_queries(1):
            assert kiosk.get(url).status_code == 404

    def test_no_or_a_wrong_key_is_drfs_401_with_its_challenge(self, location, session):
        for key in ("", "key-wrong", "x" * 300):
            client = kiosk_client_for(location, key) if key else kiosk_client_for(location)
            if not key:
                client.credentials()
            response = client.get(poll_url(session))
            assert response.status_code == 401
            assert "KioskKey" in response["WWW-Authenticate"]

    def test_the_full_path_answers_a_plain_poll_too(
        self, kiosk, session, full_path_only, drf_requests
    ):
        assert kiosk.get(poll_url(session)).status_code == 200
        assert len(drf_requests) == 1


@pytest.fixture
def wsgi_app():
    """The deployed WSGI application, called as gunicorn calls it (the test client has its own
    handler). Its request signals would close the test's transaction: unhooked meanwhile, as the
    test client does."""
    from config.wsgi import application

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield application
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def wsgi_get(application, path: str, **headers) -> tuple[str, dict[str, str], bytes]:
    environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "HTTP_HOST": "testserver"}
    environ.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})
    setup_testing_defaults(environ)
    environ["wsgi.input"] = io.BytesIO(b"")
    started = {}

    def start_response(status, response_headers, exc_info=None):
        started.update(status=status, headers=dict(response_headers))

    body = b"".join(application(environ, start_response))
    return started["status"], started["headers"], body


class TestPollMiddleware:
    def test_the_chain_is_the_products_less_what_serves_browsers(self, settings):
        assert poll_middleware() == [m for m in settings.MIDDLEWARE if m not in SKIPPED_MIDDLEWARE]
        assert "django.middleware.security.SecurityMiddleware" in poll_middleware()
        assert "corsheaders.middleware.CorsMiddleware" in poll_middleware()
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, "some.LaterMiddleware"]
        assert poll_middleware()[-1] == "some.LaterMiddleware"  # added later: kept

    def test_the_deployed_app_answers_the_poll_with_the_same_headers(
        self, wsgi_app, location, session, client
    ):
        key = f"key-{location.machine_code}"
        status, headers, body = wsgi_get(wsgi_app, poll_url(session), x_kiosk_key=key)
        assert status.startswith("200")
        full = client.get(poll_url(session), HTTP_X_KIOSK_KEY=key)  # every middleware
        assert body == full.content
        assert {k: v for k, v in headers.items() if k in HEADERS} == {
            h: full[h] for h in HEADERS if full.has_header(h)
        }
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"

    def test_the_poll_skips_sessions_and_everything_else_keeps_them(
        self, wsgi_app, location, session, monkeypatch
    ):
        from django.contrib.sessions.middleware import SessionMiddleware

        sessions_opened = []
        real = SessionMiddleware.process_request
        monkeypatch.setattr(
            SessionMiddleware,
            "process_request",
            lambda self, request: sessions_opened.append(request.path) or real(self, request),
        )
        key = f"key-{location.machine_code}"
        status, _, _ = wsgi_get(wsgi_app, poll_url(session), x_kiosk_key=key)
        assert status.startswith("200")
        assert sessions_opened == []
        status, login_headers, _ = wsgi_get(wsgi_app, "/admin/login/")
        assert status.startswith("200")
        assert sessions_opened == ["/admin/login/"]
        assert "csrftoken=" in login_headers.get("Set-Cookie", "")  # CSRF middleware ran

    def test_errors_on_the_poll_path_are_still_json(self, wsgi_app, location):
        status, headers, body = wsgi_get(
            wsgi_app, "/api/v1/photobox/transactions/external/not-an-id", x_kiosk_key="k"
        )
        assert status.startswith("404")
        assert headers["Content-Type"] == "application/json"
        assert b'"not_found"' in body
