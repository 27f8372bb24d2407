import pytest
from django.urls import reverse

from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
LIST = reverse("api:customer-list")


def rows(response):
    return response.json()["results"]


def test_officer_creates_and_edits(officer_client, merchant):
    response = officer_client.post(LIST, {"email": "Dewi@Example.com", "name": "Dewi"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "dewi@example.com"
    assert body["last_login_at"] is None
    url = reverse("api:customer-detail", args=[body["id"]])
    assert officer_client.patch(url, {"phone": "+62 1"}).json()["phone"] == "+62 1"
    assert officer_client.delete(url).status_code == 403  # owners delete


def test_email_is_unique_per_merchant_ignoring_case(officer_client, merchant, other_merchant):
    CustomerFactory(merchant=merchant, email="ayu@example.com")
    CustomerFactory(merchant=other_merchant, email="dup@example.com")
    response = officer_client.post(LIST, {"email": "AYU@example.com"})
    assert response.status_code == 400
    assert response.json()["error"]["details"]["email"]
    # The same address at another shop is a different customer.
    assert officer_client.post(LIST, {"email": "dup@example.com"}).status_code == 201


def test_search_filter_and_ordering(officer_client, merchant):
    CustomerFactory(merchant=merchant, email="budi@example.com", name="Budi", phone="0813")
    CustomerFactory(merchant=merchant, email="ayu@example.com", name="Ayu", is_active=False)
    CustomerFactory(merchant=merchant, email="citra@example.com", name="Citra", phone="0899")
    assert [r["name"] for r in rows(officer_client.get(LIST, {"search": "budi"}))] == ["Budi"]
    assert [r["name"] for r in rows(officer_client.get(LIST, {"search": "0899"}))] == ["Citra"]
    assert [r["name"] for r in rows(officer_client.get(LIST, {"is_active": "false"}))] == ["Ayu"]
    ordered = rows(officer_client.get(LIST, {"ordering": "-name"}))
    assert [r["name"] for r in ordered] == ["Citra", "Budi", "Ayu"]
    assert [r["name"] for r in rows(officer_client.get(LIST, {"email": "AYU@example.com"}))] == [
        "Ayu"
    ]


def test_list_query_count_does_not_grow(officer_client, merchant, django_assert_max_num_queries):
    CustomerFactory.create_batch(3, merchant=merchant)
    with django_assert_max_num_queries(4):
        first = officer_client.get(LIST)
    CustomerFactory.create_batch(20, merchant=merchant)
    with django_assert_max_num_queries(4):
        second = officer_client.get(LIST)
    assert first.json()["count"] == 3
    assert second.json()["count"] == 23


def test_revoke_tokens_action(officer_client, merchant):
    customer = CustomerFactory(merchant=merchant)
    url = reverse("api:customer-revoke-tokens", args=[customer.pk])
    assert officer_client.post(url).status_code == 200
    customer.refresh_from_db()
    assert customer.token_version == 2
