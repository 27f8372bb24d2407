"""Staff endpoints: locations (keys shown once), prices (quota left), transactions (filters,
search, sort, page/limit)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from merchants.api.authentication import staff_token_create
from photobox.models import KioskLocation, KioskPrice, PhotoSession
from photobox.tests.conftest import key_opens
from photobox.tests.factories import (
    CompletedSessionFactory,
    KioskLocationFactory,
    KioskPriceFactory,
    PhotoFactory,
    PhotoSessionFactory,
)

pytestmark = pytest.mark.django_db
Status = PhotoSession.Status
LOCATIONS = reverse("api:photobox-location-list")
PRICES = reverse("api:photobox-price-list")
SESSIONS = reverse("api:photobox-transaction-list")


class TestLocations:
    def test_create_answers_the_key_once(self, owner_client, merchant):
        response = owner_client.post(
            LOCATIONS, {"machine_code": "PB-009", "name": "Lobby", "address": "Jl. A 1"}
        )
        assert response.status_code == 201, response.content
        body = response.json()
        key = body["kiosk_key"]
        assert key.startswith("pbk_")
        assert len(key) > 40
        assert body["key_prefix"] == key[:8]
        location = KioskLocation.objects.get(pk=body["id"])
        assert location.merchant == merchant
        assert key not in location.key_hash
        detail = owner_client.get(reverse("api:photobox-location-detail", args=[location.pk]))
        assert "kiosk_key" not in detail.json()
        assert key not in detail.content.decode()
        assert key_opens(key, location)

    def test_machine_code_is_unique_and_checked(self, owner_client, other_merchant):
        KioskLocationFactory(merchant=other_merchant, machine_code="PB-001")
        response = owner_client.post(LOCATIONS, {"machine_code": "PB-001", "name": "Taken"})
        assert response.status_code == 400
        assert "machine_code" in response.json()["error"]["details"]
        response = owner_client.post(LOCATIONS, {"machine_code": "PB 1/2", "name": "Odd"})
        assert response.status_code == 400

    def test_rotate_key(self, owner_client, merchant):
        location = KioskLocationFactory(merchant=merchant)
        assert key_opens("key-" + location.machine_code, location)
        url = reverse("api:photobox-location-rotate-key", args=[location.pk])

        response = owner_client.post(url)

        assert response.status_code == 200
        new_key = response.json()["kiosk_key"]
        assert not key_opens("key-" + location.machine_code, location)
        assert key_opens(new_key, location)
        assert response.json()["key_rotated_at"] is not None

    def test_officer_cannot_rotate(self, officer_client, merchant):
        location = KioskLocationFactory(merchant=merchant)
        url = reverse("api:photobox-location-rotate-key", args=[location.pk])
        assert officer_client.post(url).status_code == 403
        assert KioskLocation.objects.get(pk=location.pk).key_hash == location.key_hash

    def test_deactivating_through_the_api_locks_the_kiosk(self, owner_client, merchant):
        location = KioskLocationFactory(merchant=merchant)
        assert key_opens("key-" + location.machine_code, location)
        url = reverse("api:photobox-location-detail", args=[location.pk])
        assert owner_client.patch(url, {"is_active": False}).status_code == 200
        assert not key_opens("key-" + location.machine_code, location)

    def test_a_location_with_sales_cannot_be_deleted(self, owner_client, merchant):
        session = PhotoSessionFactory(merchant=merchant)
        url = reverse("api:photobox-location-detail", args=[session.location_id])
        assert owner_client.delete(url).status_code == 409


class TestPrices:
    def test_quota_remaining(self, officer_client, merchant):
        KioskPriceFactory(merchant=merchant, description="Limited", quota=100, quota_used=3)
        KioskPriceFactory(merchant=merchant, description="Unlimited", quota=None, quota_used=9)
        rows = {row["description"]: row for row in officer_client.get(PRICES).json()["results"]}
        assert rows["Limited"]["quota_remaining"] == 97
        assert rows["Unlimited"]["quota_remaining"] is None
        assert rows["Unlimited"]["quota_used"] == 9

    def test_quota_used_is_not_writable_and_quota_not_below_it(self, owner_client, merchant):
        price = KioskPriceFactory(merchant=merchant, quota=10, quota_used=4)
        url = reverse("api:photobox-price-detail", args=[price.pk])
        assert owner_client.patch(url, {"quota_used": 0}).status_code == 200
        assert KioskPrice.objects.get(pk=price.pk).quota_used == 4
        response = owner_client.patch(url, {"quota": 3})
        assert response.status_code == 400
        assert "quota" in response.json()["error"]["details"]
        assert owner_client.patch(url, {"quota": 4}).status_code == 200

    @pytest.mark.parametrize("amount", ["0", "-5", "40000.50"])
    def test_amounts_are_whole_and_positive(self, owner_client, amount):
        response = owner_client.post(PRICES, {"amount": amount, "description": "X"})
        assert response.status_code == 400

    @pytest.mark.parametrize(
        ("currency", "amount", "status"),
        [("JPY", "500.50", 400), ("JPY", "500", 201), ("USD", "4.50", 201)],
    )
    def test_amounts_follow_the_merchants_currency(
        self, owner_client, merchant, currency, amount, status
    ):
        merchant.currency = currency
        merchant.save()
        response = owner_client.post(PRICES, {"amount": amount, "description": "X"})
        assert response.status_code == status, response.content
        if status == 400:
            assert "whole amounts" in response.json()["error"]["details"]["amount"][0]

    @pytest.mark.parametrize("params", [{"location": "x"}, {"location": "0"}])
    def test_bad_filters_are_400(self, officer_client, params):
        response = officer_client.get(PRICES, params)
        assert response.status_code == 400
        assert set(response.json()["error"]["details"]) == set(params)

    def test_officer_reads_owner_writes(self, officer_client, owner_client):
        body = {"amount": "40000", "description": "Four shots", "quota": 5}
        assert officer_client.post(PRICES, body).status_code == 403
        response = owner_client.post(PRICES, body)
        assert response.status_code == 201
        assert response.json()["quota_remaining"] == 5


class TestTransactions:
    @pytest.fixture
    def sessions(self, merchant):
        mall = KioskLocationFactory(merchant=merchant, name="Mall Kota")
        station = KioskLocationFactory(merchant=merchant, name="Station")
        rows = {
            "paid": CompletedSessionFactory(
                merchant=merchant,
                location=mall,
                business_date=date(2025, 3, 1),
                gateway_order_id="photo_se-TRX-A",
                amount=Decimal(60000),
            ),
            "pending": PhotoSessionFactory(
                merchant=merchant, location=mall, business_date=date(2025, 3, 2)
            ),
            "expired": PhotoSessionFactory(
                merchant=merchant,
                location=station,
                status=Status.EXPIRED,
                business_date=date(2025, 3, 3),
                gateway_transaction_id="qr_station_1",
            ),
        }
        PhotoFactory(session=rows["paid"])
        return {"mall": mall, "station": station, **rows}

    def ids(self, client, **params):
        response = client.get(SESSIONS, params)
        assert response.status_code == 200, response.content
        return {row["external_id"] for row in response.json()["results"]}

    def test_filters(self, officer_client, sessions):
        s = sessions
        mall, station = s["mall"].pk, s["station"].pk
        assert self.ids(officer_client, location_ids=f"{mall}") == {
            s["paid"].external_id,
            s["pending"].external_id,
        }
        assert len(self.ids(officer_client, location_ids=f"{mall},{station}")) == 3
        assert self.ids(officer_client, statuses="COMPLETED,EXPIRED") == {
            s["paid"].external_id,
            s["expired"].external_id,
        }
        assert self.ids(officer_client, date_from="2025-03-02", date_to="2025-03-02") == {
            s["pending"].external_id
        }
        assert officer_client.get(SESSIONS, {"statuses": "PAID"}).status_code == 400
        assert officer_client.get(SESSIONS, {"location_ids": "x"}).status_code == 400
        many = ",".join(str(n) for n in range(1, 102))
        response = officer_client.get(SESSIONS, {"location_ids": many})
        assert response.status_code == 400
        assert "location_ids" in response.json()["error"]["details"]

    @pytest.mark.parametrize(
        "params",
        [
            {"date_from": "2025-13-01"},
            {"date_to": "yesterday"},
            {"payment_issue": "lost"},
            {"location_ids": "0"},
        ],
    )
    def test_bad_filters_are_400_naming_the_parameter(self, officer_client, sessions, params):
        response = officer_client.get(SESSIONS, params)
        assert response.status_code == 400
        assert set(response.json()["error"]["details"]) == set(params)

    @pytest.mark.parametrize(
        ("term", "expected"),
        [("photo_se-TRX-A", "paid"), ("qr_station", "expired"), ("Station", "expired")],
    )
    def test_search_by_ids_and_location_name(self, officer_client, sessions, term, expected):
        assert self.ids(officer_client, search=term) == {sessions[expected].external_id}
        term = sessions["pending"].external_id
        assert self.ids(officer_client, search=term) == {term}

    def test_sort_field_and_order(self, officer_client, sessions):
        def order(**params):
            rows = officer_client.get(SESSIONS, params).json()["results"]
            return [row["external_id"] for row in rows]

        by_amount = order(sort_by="amount", sort_order="desc")
        assert by_amount[0] == sessions["paid"].external_id
        assert order(sort_by="amount", sort_order="asc")[-1] == sessions["paid"].external_id
        assert order(ordering="-amount")[0] == by_amount[0]
        assert officer_client.get(SESSIONS, {"sort_by": "email"}).status_code == 400
        assert (
            officer_client.get(SESSIONS, {"sort_order": "up", "sort_by": "amount"}).status_code
            == 400
        )

    def test_page_and_limit(self, officer_client, merchant):
        location = KioskLocationFactory(merchant=merchant)
        for _ in range(5):
            PhotoSessionFactory(merchant=merchant, location=location)
        first = officer_client.get(SESSIONS, {"page": 1, "limit": 2}).json()
        assert (first["count"], first["page"], first["limit"]) == (5, 1, 2)
        assert "page=2" in first["next"]
        assert first["previous"] is None
        third = officer_client.get(SESSIONS, {"page": 3, "limit": 2}).json()
        assert len(third["results"]) == 1
        assert third["next"] is None
        assert "page=2" in third["previous"]
        seen = {
            r["id"]
            for p in (1, 2, 3)
            for r in officer_client.get(SESSIONS, {"page": p, "limit": 2}).json()["results"]
        }
        assert len(seen) == 5
        by_offset = officer_client.get(SESSIONS, {"offset": 2, "limit": 2}).json()
        assert [r["id"] for r in by_offset["results"]] == [
            r["id"] for r in officer_client.get(SESSIONS, {"page": 2, "limit": 2}).json()["results"]
        ]
        assert officer_client.get(SESSIONS, {"limit": 500}).json()["limit"] == 100
        assert officer_client.get(SESSIONS, {"page": 0}).status_code == 400
        assert officer_client.get(SESSIONS, {"page": "x"}).status_code == 400
        assert officer_client.get(SESSIONS, {"page": 99}).json()["results"] == []

    def test_list_queries_do_not_grow(
        self, officer_client, merchant, django_assert_max_num_queries
    ):
        location = KioskLocationFactory(merchant=merchant)
        for _ in range(12):
            PhotoFactory(session=CompletedSessionFactory(merchant=merchant, location=location))
        with django_assert_max_num_queries(6):
            response = officer_client.get(SESSIONS, {"limit": 100})
        assert len(response.json()["results"]) == 12
        assert response.json()["results"][0]["photo_count"] == 1

    def test_detail_with_photos_and_effective_status(self, officer_client, sessions, merchant):
        url = reverse("api:photobox-transaction-detail", args=[sessions["paid"].pk])
        body = officer_client.get(url).json()
        assert body["status"] == "COMPLETED"
        assert len(body["photos"]) == 1
        assert body["photos"][0]["url"].startswith("http://testserver/media/photobox/")
        assert "gallery_token" not in body
        assert "qr_string" not in body
        late = PhotoSessionFactory(
            merchant=merchant, expires_at=timezone.now() - timedelta(minutes=1)
        )
        url = reverse("api:photobox-transaction-detail", args=[late.pk])
        assert officer_client.get(url).json()["status"] == "EXPIRED"

    def test_staff_cannot_create_or_edit_sessions(self, owner, owner_client, sessions):
        staff = APIClient()
        staff.credentials(HTTP_AUTHORIZATION=f"Token {staff_token_create(user=owner)}")
        body = {"price_id": sessions["paid"].price_id, "email": "a@example.com"}
        assert staff.post(SESSIONS, body).status_code == 401  # a kiosk's call, not staff's
        url = reverse("api:photobox-transaction-detail", args=[sessions["paid"].pk])
        assert owner_client.patch(url, {"amount": "1"}).status_code == 405
        assert owner_client.delete(url).status_code == 405


def test_a_stale_copy_never_writes_back_counters_or_keys(owner_client, merchant):
    """An edit made from a copy read before kiosks sold (or the key was rotated) keeps the
    counter and the key as they are now."""
    price = KioskPriceFactory(merchant=merchant, quota=10, quota_used=2)
    location = KioskLocationFactory(merchant=merchant)
    stale_price = KioskPrice.objects.get(pk=price.pk)
    stale_location = KioskLocation.objects.get(pk=location.pk)
    KioskPrice.objects.filter(pk=price.pk).update(quota_used=5)  # kiosks sold meanwhile
    from photobox.services import kiosk_location_rotate_key

    new_key = kiosk_location_rotate_key(location=location)
    stale_price.description = "Renamed"
    stale_price.save()
    stale_location.name = "Renamed"
    stale_location.save()
    price.refresh_from_db()
    assert (price.description, price.quota_used) == ("Renamed", 5)
    assert key_opens(new_key, location)
    assert KioskLocation.objects.get(pk=location.pk).name == "Renamed"
