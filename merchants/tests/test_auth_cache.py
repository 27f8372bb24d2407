"""A staff token remembered in the process: no queries while its version holds, and every
revocation (token, user, membership, merchant) seen at the next request."""

import pytest

from merchants import auth_cache
from merchants.api.authentication import staff_token_create
from merchants.models import Membership, StaffToken
from merchants.tests.factories import TableLocationFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/table-locations"


@pytest.fixture
def token_client(api_client, owner, merchant):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {staff_token_create(user=owner)}")
    TableLocationFactory.create_batch(2, merchant=merchant)
    assert api_client.get(URL).status_code == 200  # remembered from here on
    return api_client


def test_a_remembered_token_costs_no_query(token_client, django_assert_num_queries):
    with django_assert_num_queries(2):  # the count and the page only
        assert len(token_client.get(URL).json()["results"]) == 2


def test_x_merchant_naming_an_own_merchant_costs_no_query(
    token_client, merchant, django_assert_num_queries
):
    with django_assert_num_queries(2):
        response = token_client.get(URL, HTTP_X_MERCHANT=merchant.slug)
    assert response.status_code == 200


def test_a_deleted_token_is_refused_at_once(token_client, owner):
    StaffToken.objects.filter(user=owner).delete()
    assert token_client.get(URL).status_code == 401


def test_a_deactivated_user_is_refused_at_once(token_client, owner):
    owner.is_active = False
    owner.save()
    assert token_client.get(URL).status_code == 401


def test_a_removed_membership_is_refused_at_once(token_client, owner):
    Membership.objects.filter(user=owner).delete()
    assert token_client.get(URL).status_code == 403


def test_a_lowered_role_is_seen_at_once(token_client, owner):
    Membership.objects.filter(user=owner).update(role=Membership.Role.OFFICER)
    for membership in Membership.objects.filter(user=owner):
        membership.save()  # the admin and the services save rows, which sends the signal
    assert token_client.post(URL, {"number": "Z1"}, format="json").status_code == 403


def test_a_closed_merchant_is_seen_at_once(token_client, merchant):
    merchant.is_active = False
    merchant.save()
    assert token_client.get(URL).status_code == 403


def test_another_process_sees_the_revocation_through_the_cache(token_client, owner):
    """Only the shared version tells: this process's own memory is not what refuses."""
    [token] = StaffToken.objects.filter(user=owner)
    entries = dict(auth_cache._entries)
    StaffToken.objects.filter(pk=token.pk).delete()
    auth_cache._entries.update(entries)  # as if it had been revoked elsewhere
    assert token_client.get(URL).status_code == 401


def test_a_cache_that_cannot_be_read_means_the_database_each_time(
    token_client, merchant, django_assert_num_queries, cache_down
):
    with django_assert_num_queries(4):  # token and user, memberships, count, page
        assert token_client.get(URL).status_code == 200
