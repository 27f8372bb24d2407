"""Tenant resolution, error shape, trailing slashes, pagination, throttles."""

import pytest

from merchants.api.authentication import staff_token_create
from merchants.models import Membership
from merchants.tests.factories import MembershipFactory, TableLocationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v1/table-locations", "/api/v1/table-locations/"])
def test_routes_answer_with_and_without_trailing_slash(owner_client, path):
    assert owner_client.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/auth/staff/token", "/api/v1/auth/staff/token/"])
def test_plain_routes_too(api_client, owner, path):
    response = api_client.post(path, {"username": "own", "password": "pass12345"}, format="json")
    assert response.status_code == 200


def test_x_merchant_accepts_id_or_slug(client_for, owner, merchant, other_merchant):
    MembershipFactory(user=owner, merchant=other_merchant, role=Membership.Role.OFFICER)
    TableLocationFactory(merchant=other_merchant, number="OTHER")
    by_slug = client_for(owner, other_merchant).get("/api/v1/table-locations").json()
    client = client_for(owner)
    client.credentials(HTTP_X_MERCHANT=str(other_merchant.pk))
    by_id = client.get("/api/v1/table-locations").json()
    assert by_slug == by_id
    assert [row["number"] for row in by_id["results"]] == ["OTHER"]


def test_several_merchants_without_header_is_a_clear_400(client_for, owner, other_merchant):
    MembershipFactory(user=owner, merchant=other_merchant)
    response = client_for(owner).get("/api/v1/table-locations")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "merchant_required"
    assert "X-Merchant" in response.json()["error"]["message"]


def test_unknown_and_foreign_merchant_get_the_same_403(client_for, owner, other_merchant):
    client = client_for(owner)
    client.credentials(HTTP_X_MERCHANT="no-such-shop")
    unknown = client.get("/api/v1/table-locations")
    client.credentials(HTTP_X_MERCHANT=other_merchant.slug)
    foreign = client.get("/api/v1/table-locations")
    assert unknown.status_code == foreign.status_code == 403
    assert unknown.json()["error"]["code"] == foreign.json()["error"]["code"]


def test_staff_without_membership_is_403(client_for, db):
    response = client_for(UserFactory(username="loner")).get("/api/v1/table-locations")
    assert response.status_code == 403


def test_inactive_merchant_is_closed_to_its_staff(owner_client, merchant):
    merchant.is_active = False
    merchant.save()
    assert owner_client.get("/api/v1/table-locations").status_code == 403


def test_pagination_default_and_cap(owner_client, merchant):
    TableLocationFactory.create_batch(3, merchant=merchant)
    body = owner_client.get("/api/v1/table-locations", {"limit": 2}).json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"]
    body = owner_client.get("/api/v1/table-locations", {"limit": 5000}).json()
    assert len(body["results"]) == 3  # capped at 1000, not an error


def test_list_query_count_does_not_grow(owner_client, merchant, django_assert_max_num_queries):
    TableLocationFactory.create_batch(30, merchant=merchant)
    with django_assert_max_num_queries(4):
        assert owner_client.get("/api/v1/table-locations").status_code == 200


def test_a_token_request_knows_its_user_role_and_merchant_in_two_queries(
    api_client, owner, merchant, django_assert_num_queries, settings
):
    # Not remembered in the process (merchants/auth_cache.py): read afresh each time.
    settings.STAFF_AUTH_LOCAL_SECONDS = 0
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {staff_token_create(user=owner)}")
    TableLocationFactory.create_batch(3, merchant=merchant)
    api_client.get("/api/v1/table-locations")  # the first use stamps the token's last use
    with django_assert_num_queries(4) as captured:  # token and user, membership, count, page
        assert len(api_client.get("/api/v1/table-locations").json()["results"]) == 3
    membership, *_ = (q["sql"] for q in captured.captured_queries[1:])
    assert 'FROM "merchants_membership"' in membership
    assert 'JOIN "merchants_merchant"' in membership
    assert '"auth_user"' not in membership  # no join just to sort one user's memberships


def test_error_shape_for_404_and_405(owner_client):
    response = owner_client.get("/api/v1/table-locations/999999")
    assert response.status_code == 404
    assert set(response.json()["error"]) == {"code", "message", "details"}
    response = owner_client.put("/api/v1/merchants", {}, format="json")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_unexpected_errors_are_500_without_traceback(owner_client, monkeypatch):
    from merchants.api import views

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(views.TableLocationViewSet, "list", boom)
    response = owner_client.get("/api/v1/table-locations")
    assert response.status_code == 500
    assert "secret internals" not in response.content.decode()
    assert response.json()["error"]["code"] == "server_error"


def test_table_validation_messages(owner_client, merchant):
    TableLocationFactory(merchant=merchant, number="A1")
    response = owner_client.post(
        "/api/v1/table-locations", {"number": "a1", "capacity": 0}, format="json"
    )
    assert response.status_code == 400
    details = response.json()["error"]["details"]
    assert "already exists" in details["number"][0]
    assert "capacity" in details


def test_login_endpoint_is_throttled_per_address(api_client, owner, monkeypatch):
    from merchants.api.views import StaffLoginThrottle

    monkeypatch.setattr(StaffLoginThrottle, "rate", "2/min", raising=False)
    body = {"username": "own", "password": "pass12345"}
    codes = [api_client.post("/api/v1/auth/staff/token", body).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert "throttled" in api_client.post("/api/v1/auth/staff/token", body).json()["error"]["code"]
