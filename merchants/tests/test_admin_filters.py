"""List filters on a merchant (or another tenant-owned row, see photobox/tests/test_admin.py):
the user's merchants, read from their own table rather than from every row of the list."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from merchants.models import Membership
from merchants.tests.factories import MembershipFactory, MerchantFactory, TableLocationFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:merchants_tablelocation_changelist")


def merchant_choices(client):
    """The merchant filter's labels, and the statements that drew the page."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    [spec] = [
        spec
        for spec in response.context_data["cl"].filter_specs
        if getattr(spec, "field_path", None) == "merchant"
    ]
    return [label for _pk, label in spec.lookup_choices], [query["sql"] for query in captured]


@pytest.fixture
def shops(merchant, other_merchant, owner):
    """The owner's shop with a table, another where the owner is an officer without any table
    yet, and a third merchant's table."""
    MembershipFactory(user=owner, merchant=other_merchant, role=Membership.Role.OFFICER)
    TableLocationFactory(merchant=merchant)
    TableLocationFactory(merchant=MerchantFactory(name="Third Shop", slug="third-shop"))


def test_the_merchant_filter_offers_the_users_merchants_only(client, owner, shops):
    client.force_login(owner)
    labels, statements = merchant_choices(client)
    assert labels == ["Kopi Test", "Other Shop"]  # a shop without a table is offered too
    choice_queries = [sql for sql in statements if sql.startswith('SELECT "merchants_merchant"')]
    assert choice_queries
    assert not [sql for sql in choice_queries if "merchants_tablelocation" in sql]


def test_the_operator_is_offered_every_merchant(client, operator, shops):
    client.force_login(operator)
    labels, _ = merchant_choices(client)
    assert labels == ["Kopi Test", "Other Shop", "Third Shop"]
