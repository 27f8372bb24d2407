"""`bounded_date_hierarchy = True`: one attribute puts any scoped admin on the cheap drill-down.

The drill-down itself (years and months from the bounds, days exactly) is tested on the order
list in orders/tests/test_admin.py; here, that the shared changelist template picks it for the
admins that ask and leaves Django's to the others.
"""

from datetime import datetime

import pytest
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
