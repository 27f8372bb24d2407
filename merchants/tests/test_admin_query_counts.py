"""Admin pages over tables that grow (payments and their events, orders with their lines and
events, customers, sign-in emails, photo sessions and their photos) run as many queries for 30
rows as for 3: nothing is read row by row. Each app enters its pages as ADMIN_ROWS_CASES in
`<app>/tests/tenancy_cases.py`."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from merchants.tests.tenancy import collect_cases

pytestmark = pytest.mark.django_db
CASES = collect_cases("ADMIN_ROWS_CASES")
# Session, user, roles, Django's permissions for the sidebar, count, page, date bounds, and a
# few more for filters or inlines: far from one per row.
MOST_QUERIES = 12


def _page(case, merchant):
    """The page's URL, a function adding one row to it, and one counting the rows it shows."""
    meta = case.model._meta
    if case.inline_factory is None:

        def shown(response):
            return len(response.context_data["cl"].result_list)

        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        return url, lambda: case.factory(merchant=merchant), shown
    obj = case.factory(merchant=merchant)

    def shown(response):
        [inline] = [
            inline
            for inline in response.context_data["inline_admin_formsets"]
            if inline.formset.model._meta.label_lower == case.inline
        ]
        return len(inline.formset.forms)

    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    return url, lambda: case.inline_factory(**{case.parent: obj}), shown


@pytest.mark.parametrize("username", ["owner", "operator"])
@pytest.mark.parametrize("case", CASES, ids=str)
def test_thirty_rows_take_no_more_queries_than_three(
    case, username, request, client, merchant, django_assert_max_num_queries
):
    url, add_row, shown = _page(case, merchant)
    client.force_login(request.getfixturevalue(username))
    for _ in range(3):
        add_row()
    client.get(url)  # the first view of a session may set it up
    with CaptureQueriesContext(connection) as three:
        response = client.get(url)
    assert response.status_code == 200
    assert shown(response) == 3
    assert len(three) <= MOST_QUERIES, "\n".join(query["sql"] for query in three)

    for _ in range(27):
        add_row()
    with django_assert_max_num_queries(len(three)):
        response = client.get(url)
    assert shown(response) == 30


def test_every_growing_table_is_checked():
    checked = {str(case) for case in CASES}
    assert checked >= {
        "payments.payment changelist",
        "payments.payment change page, payments.paymentevent",
        "orders.order changelist",
        "orders.order change page, orders.orderitem",
        "orders.order change page, orders.orderevent",
        "customers.customer changelist",
        "customers.loginchallenge changelist",
        "photobox.photosession changelist",
        "photobox.photosession change page, photobox.photo",
    }
