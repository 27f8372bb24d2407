"""Photo sessions to CSV from the admin: the changelist's filters and search, streamed, no
secrets."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from merchants.exports import BOM
from merchants.tests.exports import csv_rows, csv_text, read_streamed
from photobox.models import PhotoSession
from photobox.tests.factories import (
    CompletedSessionFactory,
    KioskLocationFactory,
    KioskPriceFactory,
    PhotoFactory,
    PhotoSessionFactory,
)
from photobox.tests.sales import sell

pytestmark = pytest.mark.django_db
WIB = ZoneInfo("Asia/Jakarta")
EXPORT = "admin:photobox_photosession_export"
CHANGELIST = "admin:photobox_photosession_changelist"


@pytest.fixture
def sessions(gw, shop, other_merchant):
    """Sold through the kiosk service at Kopi Test's kiosk (Jakarta), and one elsewhere."""
    price = KioskPriceFactory(merchant=shop, amount=Decimal(40000), description="Four shots")
    mall = KioskLocationFactory(merchant=shop, machine_code="K1", name="Mall")
    late = sell(
        mall,
        price,
        datetime(2026, 3, 10, 23, 30, tzinfo=WIB),
        email="rina@example.com",
        refund=Decimal(15000),
    )
    PhotoFactory.create_batch(2, session=late)
    sell(mall, price, datetime(2026, 3, 10, 12, 0, tzinfo=WIB), "failed", email="a@example.com")
    sell(mall, price, datetime(2026, 3, 10, 13, 0, tzinfo=WIB), "paid_late", email="b@example.com")
    CompletedSessionFactory(merchant=other_merchant, email="theirs@example.com")
    return late


def test_owner_exports_the_sessions_as_a_streamed_csv(owner_admin, sessions, time_machine):
    time_machine.move_to(datetime(2026, 3, 11, 9, 5, tzinfo=WIB), tick=False)
    response = owner_admin.get(reverse(EXPORT))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="photo-sessions-kopi-test-20260311-0905.csv"'
    )
    rows = csv_rows(response)
    # The changelist's order (newest first), only our merchant's.
    assert [row["email"] for row in rows] == [
        "rina@example.com",
        "b@example.com",
        "a@example.com",
    ]
    late = rows[0]
    assert late["external_id"] == sessions.external_id
    assert late["created_at"] == "2026-03-10 23:30:00"  # Jakarta, not UTC (16:30)
    assert late["paid_at"] == "2026-03-10 23:31:00"
    assert (late["time_zone"], late["business_date"]) == ("Asia/Jakarta", "2026-03-10")
    assert (late["merchant"], late["location_code"], late["location"], late["package"]) == (
        "kopi-test",
        "K1",
        "Mall",
        "Four shots",
    )
    assert (late["currency"], late["amount"], late["refunded"]) == ("IDR", "40000.00", "15000.00")
    assert (late["status"], late["counts_as_takings"], late["payment_status"]) == (
        "COMPLETED",
        "yes",
        "partially_refunded",
    )
    assert (late["photos"], late["gateway"], late["payment_issue"]) == ("2", "midtrans", "")
    assert late["gateway_order_id"] == sessions.gateway_order_id
    assert late["gateway_transaction_id"] == sessions.gateway_transaction_id
    paid_late = rows[1]
    assert (paid_late["status"], paid_late["payment_issue"], paid_late["counts_as_takings"]) == (
        "EXPIRED",
        "paid_late",
        "no",
    )
    assert paid_late["payment_status"] == "paid"  # the money is owed back
    assert (rows[2]["status"], rows[2]["photos"], rows[2]["refunded"]) == ("FAILED", "0", "0.00")


def test_no_secret_leaves_in_the_file(owner_admin, sessions):
    text = csv_text(owner_admin.get(reverse(EXPORT)))
    location = sessions.location
    for secret in (sessions.gallery_token, sessions.qr_string, location.key_hash):
        assert secret
        assert secret not in text
    assert "gallery" not in text.splitlines()[0]
    assert "qr" not in text.splitlines()[0]


def test_the_export_honours_filters_and_search(owner_admin, sessions):
    def emails(**params):
        return [row["email"] for row in csv_rows(owner_admin.get(reverse(EXPORT), params))]

    assert emails(status__exact="FAILED") == ["a@example.com"]
    assert emails(issue="paid_late") == ["b@example.com"]
    assert emails(q=sessions.external_id) == ["rina@example.com"]
    assert emails(q="Mall") == ["rina@example.com", "b@example.com", "a@example.com"]
    assert emails(location__id__exact=sessions.location_id, status__exact="COMPLETED") == [
        "rina@example.com"
    ]
    assert emails(business_date="2026-03-09") == []
    assert emails(created_at__year="2026", created_at__month="3", created_at__day="10") == [
        "rina@example.com",
        "b@example.com",
        "a@example.com",
    ]


def test_the_changelist_links_to_the_export_with_its_filters(owner_admin, sessions):
    page = owner_admin.get(reverse(CHANGELIST), {"status__exact": "FAILED"})
    assert f'href="{reverse(EXPORT)}?status__exact=FAILED"'.encode() in page.content


def test_export_selected_sessions(owner_admin, sessions):
    response = owner_admin.post(
        reverse(CHANGELIST), {"action": "export_selected", "_selected_action": [sessions.pk]}
    )
    assert [row["external_id"] for row in csv_rows(response)] == [sessions.external_id]


def test_officers_cannot_export(client, officer, sessions):
    client.force_login(officer)
    assert client.get(reverse(EXPORT)).status_code == 403
    page = client.get(reverse(CHANGELIST))
    assert page.status_code == 200
    assert b"Export CSV" not in page.content
    assert b"export_selected" not in page.content


def test_another_merchants_owner_exports_only_their_own(client, other_owner, sessions):
    client.force_login(other_owner)
    assert [row["email"] for row in csv_rows(client.get(reverse(EXPORT)))] == ["theirs@example.com"]
    # Naming our location or merchant in the filters does not open them either.
    for params in (
        {"location__id__exact": sessions.location_id},
        {"merchant__id__exact": sessions.merchant_id},
        {"q": sessions.external_id},
    ):
        rows = csv_rows(client.get(reverse(EXPORT), params))
        assert {row["merchant"] for row in rows} <= {"other-shop"}, params


def test_the_operator_exports_every_merchant_or_one(client, operator, sessions, other_merchant):
    client.force_login(operator)
    rows = csv_rows(client.get(reverse(EXPORT)))
    assert {row["merchant"] for row in rows} == {"kopi-test", "other-shop"}
    rows = csv_rows(client.get(reverse(EXPORT), {"merchant__id__exact": other_merchant.pk}))
    assert [row["merchant"] for row in rows] == ["other-shop"]


def _export_queries(client, merchant, count: int) -> int:
    location = KioskLocationFactory(merchant=merchant)
    price = KioskPriceFactory(merchant=merchant)
    for session in PhotoSessionFactory.create_batch(
        count, merchant=merchant, location=location, price=price
    ):
        PhotoFactory(session=session)
    response = client.get(reverse(EXPORT))
    with CaptureQueriesContext(connection) as queries:
        rows = csv_rows(response)
    assert len(rows) == PhotoSession.objects.filter(merchant=merchant).count()
    return len(queries)


def test_the_export_costs_the_same_queries_for_any_number_of_rows(owner_admin, merchant):
    # Location, package, payment and merchant joined, photos counted and refunds summed in
    # the same query: one read whatever the rows.
    assert _export_queries(owner_admin, merchant, 3) == 1
    assert _export_queries(owner_admin, merchant, 40) == 1


def test_the_export_is_read_in_chunks_not_all_at_once(owner_admin, merchant, settings):
    """Memory stays bounded: rows are loaded a chunk at a time while the CSV is written."""
    settings.EXPORT_CHUNK_SIZE = 50
    location = KioskLocationFactory(merchant=merchant)
    price = KioskPriceFactory(merchant=merchant)
    PhotoSessionFactory.create_batch(500, merchant=merchant, location=location, price=price)
    read = read_streamed(owner_admin.get(reverse(EXPORT)), PhotoSession)
    assert read.first.startswith(BOM.encode())
    assert read.loaded_first < 300  # written before the rest was read
    assert read.loaded == 500
    assert read.body.count(b"\n") == 501
    assert len(read.queries) == 1  # one query, read in chunks (a server-side cursor on PostgreSQL)
