import pytest
from django.urls import reverse

from merchants.api.authentication import hash_token
from merchants.models import StaffToken

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/v1/auth/staff/token"


def login(client, username="own", password="pass12345"):  # noqa: S107
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json")


def test_token_login_and_use(api_client, owner):
    response = login(api_client)
    assert response.status_code == 200
    key = response.json()["token"]
    # Only the hash is stored.
    stored = StaffToken.objects.get(user=owner)
    assert stored.key_hash == hash_token(key)
    assert key not in (stored.key_hash, stored.prefix)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/v1/table-locations").status_code == 200


def test_wrong_password_is_a_clear_400(api_client, owner):
    response = login(api_client, password="nope")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Wrong username or password."
    assert not StaffToken.objects.exists()


def test_missing_fields_name_the_field(api_client):
    response = api_client.post(TOKEN_URL, {"username": "x"}, format="json")
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid"
    assert body["message"].startswith("password:")
    assert "password" in body["details"]


def test_failed_logins_are_throttled(api_client, owner, settings):
    settings.STAFF_LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        assert login(api_client, password="bad").status_code == 400
    # Even the right password is refused while locked out.
    response = login(api_client)
    assert response.status_code == 429
    assert "Too many failed logins" in response.json()["error"]["message"]


def test_success_resets_the_failure_count(api_client, owner, settings):
    settings.STAFF_LOGIN_MAX_FAILURES = 2
    assert login(api_client, password="bad").status_code == 400
    assert login(api_client).status_code == 200
    assert login(api_client, password="bad").status_code == 400
    assert login(api_client).status_code == 200


def test_logout_revokes_the_token(api_client, owner):
    key = login(api_client).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.post("/api/v1/auth/staff/logout/").status_code == 204
    response = api_client.get("/api/v1/table-locations")
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]["message"]


def test_disabled_user_token_is_refused(api_client, owner):
    key = login(api_client).json()["token"]
    owner.is_active = False
    owner.save()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/v1/table-locations").status_code == 401


def test_browsable_api_has_a_login_link(client, owner):
    response = client.get("/api/v1/", HTTP_ACCEPT="text/html")
    assert response.status_code in (200, 401, 403)
    assert reverse("rest_framework:login").encode() in response.content


# --- password guessing ------------------------------------------------------------------------


def test_num_proxies_defaults_to_zero(settings):
    # env.int(default=0) used to be turned into None, which makes DRF key every address
    # throttle on the client-written X-Forwarded-For.
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0


def test_rotating_x_forwarded_for_still_gets_throttled(api_client, owner, monkeypatch):
    from merchants.api.views import StaffLoginThrottle

    monkeypatch.setattr(StaffLoginThrottle, "THROTTLE_RATES", {"staff_login": "3/min"})
    codes = [
        api_client.post(
            TOKEN_URL,
            {"username": f"nobody{i}", "password": "x"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        ).status_code
        for i in range(4)
    ]
    assert codes == [400, 400, 400, 429]


def test_with_num_proxies_the_nth_address_from_the_right_counts(rf, settings):
    from merchants.login_guard import client_address

    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7, 10.0.0.2")
    request.META["REMOTE_ADDR"] = "10.0.0.1"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}
    assert client_address(request) == "10.0.0.1"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 2}
    assert client_address(request) == "198.51.100.7"


@pytest.mark.parametrize("spelling", [" own", "own ", "OWN", "\uff4f\uff57\uff4e"])
def test_lockout_keys_on_the_username_as_authenticated(api_client, owner, settings, spelling):
    settings.STAFF_LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        assert login(api_client, username=spelling, password="bad").status_code in (400, 429)
    response = login(api_client)
    assert response.status_code == 429
    assert "try again in 15 minutes" in response.json()["error"]["message"]
    assert int(response["Retry-After"]) > 800


def test_the_lock_is_per_address(api_client, owner, settings):
    settings.STAFF_LOGIN_MAX_FAILURES = 2
    for _ in range(2):
        login(api_client, password="bad")
    assert login(api_client).status_code == 429
    elsewhere = api_client.post(
        TOKEN_URL, {"username": "own", "password": "pass12345"}, REMOTE_ADDR="198.51.100.9"
    )
    assert elsewhere.status_code == 200


def test_one_address_guessing_many_usernames_is_locked(api_client, owner, settings):
    settings.STAFF_LOGIN_MAX_FAILURES_PER_ADDRESS = 4
    for i in range(4):
        assert login(api_client, username=f"guess{i}", password="bad").status_code in (400, 429)
    response = login(api_client)
    assert response.status_code == 429
    assert "try again in" in response.json()["error"]["message"]


def test_the_message_says_when_to_try_again(api_client, owner, settings):
    import time_machine

    settings.STAFF_LOGIN_MAX_FAILURES = 1
    settings.STAFF_LOGIN_LOCKOUT_SECONDS = 600
    with time_machine.travel("2025-01-01 10:00:00Z", tick=False) as clock:
        login(api_client, password="bad")
        clock.shift(4 * 60 + 10)
        message = login(api_client).json()["error"]["message"]
        assert message == "Too many failed logins; try again in 6 minutes."
        clock.shift(6 * 60)
        assert login(api_client).status_code == 200


ADMIN_LOGIN = "/admin/login/"


def admin_login(client, username="own", password="pass12345"):  # noqa: S107
    return client.post(ADMIN_LOGIN, {"username": username, "password": password, "next": "/admin/"})


def test_admin_login_locks_after_the_failures(client, owner, settings):
    settings.STAFF_LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        response = admin_login(client, username=" OWN", password="bad")
        assert response.status_code == 200
        assert b"Too many failed logins" not in response.content
    # The right password is refused too while the lock holds.
    response = admin_login(client)
    assert response.status_code == 200
    assert b"Too many failed logins; try again in 15 minutes." in response.content
    assert "_auth_user_id" not in client.session


def test_one_address_guessing_many_usernames_at_the_admin_is_locked(client, owner, settings):
    settings.STAFF_LOGIN_MAX_FAILURES_PER_ADDRESS = 4
    for i in range(4):
        response = admin_login(client, username=f"guess{i}", password="bad")
        assert response.status_code == 200
        assert b"try again in" not in response.content
    # A real account, the right password, never failed itself: the address is what is locked.
    response = admin_login(client)
    assert response.status_code == 200
    assert b"Too many failed logins; try again in" in response.content
    assert "_auth_user_id" not in client.session


def test_admin_and_api_failures_add_up(client, api_client, owner, settings):
    settings.STAFF_LOGIN_MAX_FAILURES = 2
    admin_login(client, password="bad")
    login(api_client, password="bad")
    assert login(api_client).status_code == 429


def test_admin_login_success_resets_the_count(client, owner, settings):
    settings.STAFF_LOGIN_MAX_FAILURES = 2
    admin_login(client, password="bad")
    assert admin_login(client).status_code == 302
    client.logout()
    admin_login(client, password="bad")
    assert admin_login(client).status_code == 302


def test_browsable_api_login_is_locked_too(client, owner, settings):
    settings.STAFF_LOGIN_MAX_FAILURES = 2
    url = reverse("rest_framework:login")
    for _ in range(2):
        client.post(url, {"username": "own", "password": "bad"})
    client.post(url, {"username": "own", "password": "pass12345"})
    assert "_auth_user_id" not in client.session


# --- tokens: expiry, list, revoke, me ---------------------------------------------------------


def test_token_lapses_after_its_ttl_unused(api_client, owner, settings):
    import time_machine

    settings.STAFF_TOKEN_TTL_HOURS = 12
    with time_machine.travel("2025-01-01 08:00:00Z", tick=False) as clock:
        key = login(api_client).json()["token"]
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        clock.shift(11 * 3600)
        assert api_client.get("/api/v1/table-locations").status_code == 200
        # Used at 19:00, so it now lasts until 07:00 the next day.
        clock.shift(11 * 3600)
        assert api_client.get("/api/v1/table-locations").status_code == 200
        clock.shift(12 * 3600 + 1)
        response = api_client.get("/api/v1/table-locations")
    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]
    assert not StaffToken.objects.exists()


def test_token_use_is_written_at_most_once_a_minute(api_client, owner, django_assert_num_queries):
    import time_machine

    with time_machine.travel("2025-01-01 08:00:00Z", tick=False) as clock:
        key = login(api_client).json()["token"]
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        me = "/api/v1/auth/staff/me"
        with django_assert_num_queries(3):  # token and user, last use, memberships
            api_client.get(me)
        clock.shift(30)
        with django_assert_num_queries(1):  # no write within the minute (token remembered)
            api_client.get(me)
        clock.shift(31)
        with django_assert_num_queries(2):  # the last use written; memberships
            api_client.get(me)


TOKENS_URL = "/api/v1/auth/staff/tokens"


def test_tokens_list_only_your_own_and_marks_the_current(api_client, owner, officer):
    from merchants.api.authentication import staff_token_create

    staff_token_create(user=officer)
    first = login(api_client).json()["token"]
    second = login(api_client).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    response = api_client.get(TOKENS_URL)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["prefix"] for row in rows] == [second[:8], first[:8]]
    assert [row["current"] for row in rows] == [True, False]
    assert set(rows[0]) == {"id", "prefix", "created_at", "last_used_at", "expires_at", "current"}
    assert first not in response.content.decode()


def test_revoke_a_token(api_client, owner, officer):
    from merchants.api.authentication import staff_token_create

    staff_token_create(user=officer)
    theirs = StaffToken.objects.get(user=officer)
    other_device = login(api_client).json()["token"]
    this_device = login(api_client).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {this_device}")
    mine = StaffToken.objects.get(key_hash=hash_token(other_device))
    assert api_client.delete(f"{TOKENS_URL}/{theirs.pk}").status_code == 404
    assert api_client.delete(f"{TOKENS_URL}/{mine.pk}").status_code == 204
    assert StaffToken.objects.filter(pk=theirs.pk).exists()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {other_device}")
    assert api_client.get(TOKENS_URL).status_code == 401


def test_tokens_need_a_login(api_client):
    assert api_client.get(TOKENS_URL).status_code == 401
    assert api_client.get("/api/v1/auth/staff/me").status_code == 401


def test_me_answers_the_user_memberships_and_roles(client_for, owner, other_merchant):
    from merchants.models import Membership
    from merchants.tests.factories import MembershipFactory

    MembershipFactory(user=owner, merchant=other_merchant, role=Membership.Role.OFFICER)
    response = client_for(owner).get("/api/v1/auth/staff/me")
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "own"
    assert body["is_operator"] is False
    assert body["memberships"] == [
        {
            "merchant_id": owner.memberships.get(role=Membership.Role.OWNER).merchant_id,
            "merchant_slug": "kopi-test",
            "merchant_name": "Kopi Test",
            "role": "owner",
        },
        {
            "merchant_id": other_merchant.pk,
            "merchant_slug": "other-shop",
            "merchant_name": "Other Shop",
            "role": "officer",
        },
    ]


def test_expired_tokens_are_pruned(owner, settings):
    import time_machine

    from merchants.api.authentication import staff_token_create
    from merchants.tasks import staff_token_prune_expired_task

    with time_machine.travel("2025-01-01 08:00:00Z", tick=False) as clock:
        staff_token_create(user=owner)
        clock.shift(6 * 3600)
        fresh = staff_token_create(user=owner)
        clock.shift(7 * 3600)
        assert staff_token_prune_expired_task() == 1
    assert list(StaffToken.objects.values_list("key_hash", flat=True)) == [hash_token(fresh)]
