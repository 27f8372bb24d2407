"""The kiosk poll: the key remembered in the process (a key that is rotated or switched off must
still stop working), and otherwise the path every API request takes."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.views import APIView

from photobox import auth
from photobox.models import KioskLocation
from photobox.tests.conftest import kiosk_client_for
from photobox.tests.factories import KioskLocationFactory, PhotoSessionFactory

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
def drf_requests(monkeypatch):
    """Counts the requests DRF's machinery was built for."""
    built = []
    real = APIView.initialize_request

    def initialize_request(self, request, *args, **kwargs):
        built.append(request.path)
        return real(self, request, *args, **kwargs)

    monkeypatch.setattr(APIView, "initialize_request", initialize_request)
    return built


@pytest.fixture
def sessions_opened(monkeypatch):
    """Paths the session middleware ran for."""
    from django.contrib.sessions.middleware import SessionMiddleware

    opened = []
    real = SessionMiddleware.process_request
    monkeypatch.setattr(
        SessionMiddleware,
        "process_request",
        lambda self, request: opened.append(request.path) or real(self, request),
    )
    return opened


class TestOnePath:
    """The poll is an ordinary DRF view behind the product's one middleware chain."""

    def test_the_poll_takes_drfs_path_and_every_middleware(
        self, kiosk, session, drf_requests, sessions_opened
    ):
        response = kiosk.get(poll_url(session))
        assert response.status_code == 200
        assert drf_requests == [poll_url(session)]
        assert sessions_opened == [poll_url(session)]
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"

    @pytest.mark.parametrize(
        ("extra", "query", "status"),
        [
            ({"HTTP_ACCEPT": "text/html"}, "", 406),
            ({}, "?format=json", 200),
            ({}, "?format=xml", 404),
        ],
    )
    def test_negotiation_is_drfs(self, kiosk, session, extra, query, status):
        assert kiosk.get(poll_url(session) + query, **extra).status_code == status

    def test_head(self, kiosk, session):
        assert kiosk.head(poll_url(session)).status_code == 200

    def test_an_unknown_session_is_a_404_in_one_read(
        self, kiosk, location, django_assert_num_queries
    ):
        url = reverse("api:photobox-kiosk-status", args=["TRX-1-20250101100000-0000abcd"])
        with django_assert_num_queries(2):  # the key (not cached yet), the session
            response = kiosk.get(url)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        with django_assert_num_queries(1):
            assert kiosk.get(url).status_code == 404

    def test_no_or_a_wrong_key_is_a_401_with_its_challenge(self, location, session):
        for key in ("", "key-wrong", "x" * 300):
            client = kiosk_client_for(location, key) if key else kiosk_client_for(location)
            if not key:
                client.credentials()
            response = client.get(poll_url(session))
            assert response.status_code == 401
            assert "KioskKey" in response["WWW-Authenticate"]

    def test_errors_on_the_poll_path_are_json(self, kiosk):
        response = kiosk.get("/api/v1/photobox/transactions/external/not-an-id")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert b'"not_found"' in response.content
