"""Shared fixtures: two merchants with an owner and an officer each, the operator, API clients."""

import pytest
from rest_framework.test import APIClient

from merchants.models import Membership
from merchants.tests.factories import MembershipFactory, MerchantFactory, UserFactory

# Shared fixtures that live with their helpers: `cloudinary_stub` (a local Cloudinary API),
# `s3_media` (an S3-compatible bucket on moto's local server), `cache_down` and `broker_down`
# (Redis taken away as the cache and as the broker).
pytest_plugins = [
    "merchants.tests.cloudinary_stub",
    "merchants.tests.s3_server",
    "merchants.tests.outage",
]


@pytest.fixture(scope="session", autouse=True)
def _cache_keys_of_this_worker(worker_id):
    """Parallel workers (pytest-xdist) sharing one Redis database keep to their own keys, so
    one worker's `cache.clear()` never empties another's throttle counters or gateway slots."""
    from django.conf import settings
    from django.test.signals import setting_changed

    if worker_id != "master":
        cache = settings.CACHES["default"]
        cache["KEY_PREFIX"] = f"{cache.get('KEY_PREFIX', '')}-{worker_id}"
        # A cache object built before this (at import) would keep the old prefix in this
        # thread while new threads take the new one: rebuild them all from the settings.
        setting_changed.send(sender=None, setting="CACHES", value=settings.CACHES, enter=True)


@pytest.fixture(autouse=True)
def _isolated_environment(settings, tmp_path):
    """Every test starts with an empty cache, eager Celery and media in a temp folder."""
    from django.core.cache import cache
    from django.utils import translation

    from catalog.menu_cache import slug_forget_all
    from config.celery_app import app
    from merchants.auth_cache import forget_all as staff_auth_forget_all
    from merchants.cache import cache_forget_failures
    from photobox.auth import kiosk_identity_forget_local

    # A Redis call that timed out in an earlier test (a loaded CI machine) must not leave this
    # process skipping Redis for the retry window: counters would silently read as misses.
    cache_forget_failures()
    # A request in Indonesian leaves its language active in the thread (as a server's next
    # request would reset it): each test starts in the default language.
    translation.deactivate()
    cache.clear()
    kiosk_identity_forget_local()  # the poll's process-local tier of the key cache
    slug_forget_all()  # the public menu's slug hints
    staff_auth_forget_all()  # staff tokens remembered in the process
    # Hashing demo and factory passwords with PBKDF2 would dominate the suite's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = previous
    translation.deactivate()
    cache.clear()
    kiosk_identity_forget_local()


@pytest.fixture
def merchant(db):
    return MerchantFactory(name="Kopi Test", slug="kopi-test")


@pytest.fixture
def other_merchant(db):
    return MerchantFactory(name="Other Shop", slug="other-shop")


@pytest.fixture
def owner(merchant):
    return MembershipFactory(
        merchant=merchant, role=Membership.Role.OWNER, user__username="own"
    ).user


@pytest.fixture
def officer(merchant):
    return MembershipFactory(
        merchant=merchant, role=Membership.Role.OFFICER, user__username="off"
    ).user


@pytest.fixture
def other_owner(other_merchant):
    return MembershipFactory(
        merchant=other_merchant, role=Membership.Role.OWNER, user__username="other-own"
    ).user


@pytest.fixture
def operator(db):
    return UserFactory(username="operator", is_superuser=True)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def client_for():
    """`client_for(user, merchant=None)`: an API client logged in as `user`."""

    def make(user, merchant=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        if merchant is not None:
            client.credentials(HTTP_X_MERCHANT=merchant.slug)
        return client

    return make


@pytest.fixture
def owner_admin(client, owner):
    """Django's test client signed in to the admin as the merchant's owner."""
    client.force_login(owner)
    return client


@pytest.fixture
def owner_client(client_for, owner):
    return client_for(owner)


@pytest.fixture
def officer_client(client_for, officer):
    return client_for(officer)
