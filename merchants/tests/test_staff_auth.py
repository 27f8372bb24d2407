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
