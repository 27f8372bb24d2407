"""Searching customers by email, name or phone: the API's ?search= and the admin's ?q=, answered
on PostgreSQL from the trigram indexes of migration 0004."""

from importlib import import_module

import pytest
from django.db import connection
from django.db.models import Q
from django.urls import reverse

from customers.models import Customer
from customers.tests.factories import CustomerFactory
from merchants.testing import requires_postgres

pytestmark = pytest.mark.django_db
URL = "/api/v1/customers"
trigram_migration = import_module("customers.migrations.0004_customer_search_trigram_indexes")


@pytest.fixture
def book(merchant, other_merchant):
    """Customers of one shop, and a look-alike at another."""
    for email, name, phone in [
        ("ani@kopi.example", "Ani Rahma", "+6281200042"),
        ("budi@mail.example", "Budi Santoso", ""),
        ("rahma.dewi@mail.example", "Dewi", "0812-555-0042"),
        ("siti@kopi.example", "", "+6281377001"),
    ]:
        CustomerFactory(merchant=merchant, email=email, name=name, phone=phone)
    CustomerFactory(merchant=other_merchant, email="ani@kopi.example", name="Ani Rahma")
    return merchant


TERMS = ["ani", "RAHMA", "kopi.example", "0042", "+62813", "mail budi", "dewi 555", "zzz", "a"]


def _expected(merchant, term: str) -> set[str]:
    """The rule as a plain search spells it: every word in the email, the name or the phone."""
    customers = Customer.objects.filter(merchant=merchant)
    for bit in term.split():
        customers = customers.filter(
            Q(email__icontains=bit) | Q(name__icontains=bit) | Q(phone__icontains=bit)
        )
    return set(customers.values_list("email", flat=True))


@pytest.mark.parametrize("term", TERMS)
def test_the_api_finds_what_a_plain_search_finds(officer_client, book, term):
    rows = officer_client.get(URL, {"search": term}).json()["results"]
    assert {row["email"] for row in rows} == _expected(book, term)


@pytest.mark.parametrize("term", TERMS)
def test_the_admin_finds_what_a_plain_search_finds(client, officer, book, term):
    client.force_login(officer)
    response = client.get(reverse("admin:customers_customer_changelist"), {"q": term})
    found = {customer.email for customer in response.context_data["cl"].result_list}
    assert found == _expected(book, term)


def test_the_expected_results_are_not_trivial(book):
    # The terms above find one, several and no customers of the shop, never the other's.
    sizes = {term: len(_expected(book, term)) for term in TERMS}
    assert sizes["zzz"] == 0
    assert sizes["mail budi"] == 1
    assert sizes["0042"] == 2
    assert sizes["a"] == 4


@requires_postgres
@pytest.mark.parametrize("field", ["email", "name", "phone"])
def test_a_trigram_index_answers_each_searched_column(book, field):
    # A handful of rows make a scan cheapest; forbid it (and plain index scans) to see that the
    # index, built on the expression Django's icontains compiles to, can answer the search.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    plan = Customer.objects.filter(**{f"{field}__icontains": "0042"}).order_by().explain()
    assert f"customer_{field}_trgm" in plan, plan


def _trigram_indexes() -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Customer._meta.db_table)
    return set(trigram_migration.INDEXES) & set(constraints)


@requires_postgres
def test_the_migration_drops_and_creates_its_indexes():
    assert _trigram_indexes() == set(trigram_migration.INDEXES)
    with connection.schema_editor() as editor:
        trigram_migration.drop(None, editor)
    assert _trigram_indexes() == set()
    with connection.schema_editor() as editor:
        trigram_migration.create(None, editor)
        trigram_migration.create(None, editor)  # applied again: IF NOT EXISTS
    assert _trigram_indexes() == set(trigram_migration.INDEXES)


def test_the_migration_does_nothing_on_other_databases():
    class SqliteEditor:
        connection = type("Connection", (), {"vendor": "sqlite"})()
        statements: list[str] = []

        def execute(self, sql, params=()):
            self.statements.append(sql)

    editor = SqliteEditor()
    trigram_migration.create(None, editor)
    trigram_migration.drop(None, editor)
    assert editor.statements == []
