"""`bounded_date_hierarchy = True`: one attribute puts any scoped admin on the cheap drill-down.

The drill-down itself (years and months from the bounds, days exactly) is tested on the order
list in orders/tests/test_admin.py; here, that the shared changelist template picks it for the
admins that ask and leaves Django's to the others.
"""

from datetime import datetime

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from merchants.admin import TableLocationAdmin
from merchants.models import TableLocation
from merchants.tests.factories import TableLocationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("bounded", [False, True])
def test_the_attribute_chooses_the_drill_down(client, owner, merchant, monkeypatch, bounded):
    monkeypatch.setattr(TableLocationAdmin, "date_hierarchy", "created_at", raising=False)
    monkeypatch.setattr(TableLocationAdmin, "bounded_date_hierarchy", bounded)
    for year in (2024, 2026):
        table = TableLocationFactory(merchant=merchant)
        moment = datetime(year, 6, 1, 12, tzinfo=merchant.tzinfo)
        TableLocation.objects.filter(pk=table.pk).update(created_at=moment)
    client.force_login(owner)

    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("admin:merchants_tablelocation_changelist"))

    assert response.status_code == 200
    statements = [query["sql"] for query in captured]
    # Django reads the bounds too, then the distinct years of every row.
    assert [sql for sql in statements if 'MIN("merchants_tablelocation"."created_at")' in sql]
    scans = [sql for sql in statements if "DISTINCT" in sql and "created_at" in sql]
    assert bool(scans) is not bounded
    # Django lists the years that have rows; the bounds list every year between them.
    years = ["2024", "2025", "2026"] if bounded else ["2024", "2026"]
    for year in ("2024", "2025", "2026"):
        link = f"?created_at__year={year}"
        assert (link in response.text) == (year in years), year


# --- which admins use it, and the index each needs ----------------------------------------


def _bounded_admins():
    return [
        model_admin
        for model_admin in admin.site._registry.values()
        if getattr(model_admin, "bounded_date_hierarchy", False)
    ]


def _label(model_admin) -> str:
    return model_admin.model._meta.label_lower


def _merchant_and_date_index(model, field_name: str) -> str | None:
    """The index that starts with the merchant and then the date, either way round in time."""
    for index in model._meta.indexes:
        if [name.lstrip("-") for name in index.fields[:2]] == [model.merchant_lookup, field_name]:
            return index.name
    return None


def test_the_tables_that_grow_read_their_dates_from_the_bounds():
    assert {_label(model_admin) for model_admin in _bounded_admins()} >= {
        "orders.order",
        "payments.payment",
        "customers.customer",
        "customers.loginchallenge",
        "photobox.photosession",
    }


@pytest.mark.parametrize("model_admin", _bounded_admins(), ids=_label)
def test_each_bounded_date_is_indexed_with_the_merchant(model_admin):
    # MIN and MAX of the date within one merchant are the two ends of this index's part for
    # the merchant: an Index Only Scan at each end, whatever the size of the table.
    assert model_admin.date_hierarchy
    assert _merchant_and_date_index(model_admin.model, model_admin.date_hierarchy)


@pytest.mark.parametrize("model_admin", _bounded_admins(), ids=_label)
def test_each_bounded_changelist_lists_no_distinct_dates(client, operator, model_admin):
    meta = model_admin.model._meta
    client.force_login(operator)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    assert response.status_code == 200
    column = f'"{meta.db_table}"."{model_admin.date_hierarchy}"'
    statements = [query["sql"] for query in captured if column in query["sql"]]
    assert [sql for sql in statements if "MIN(" in sql]
    assert not [sql for sql in statements if "DISTINCT" in sql]
