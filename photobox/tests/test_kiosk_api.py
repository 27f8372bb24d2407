"""The kiosk API: its own key, sales with quota, the poll (hot path) and the package list."""

import hashlib
import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from merchants.api.authentication import staff_token_create
from merchants.models import Merchant
from payments.models import Payment
from payments.tests import stubs
from photobox.models import KioskLocation, KioskPrice, PhotoSession
from photobox.services import kiosk_location_rotate_key
from photobox.tests.conftest import kiosk_client_for
from photobox.tests.factories import (
    KioskLocationFactory,
    KioskPriceFactory,
    PhotoSessionFactory,
)

pytestmark = pytest.mark.django_db
Status = PhotoSession.Status
SELL = reverse("api:photobox-transaction-list")
EXTERNAL_ID = re.compile(r"^TRX-(\d+)-(\d{14})-([0-9a-f]{8})$")


def kiosk_identity(location):
    from photobox.auth import KioskIdentity

    return KioskIdentity(location.pk, location.merchant_id, location.machine_code)


def poll_url(external_id: str) -> str:
    return reverse("api:photobox-kiosk-status", args=[external_id])


def sell(client, price, email="ani@example.com", **extra):
    return client.post(SELL, {"price_id": price.pk, "email": email, **extra}, format="json")


class TestKioskKey:
    def test_missing_or_unknown_key_is_401(self, location):
        anonymous = APIClient()
        session = PhotoSessionFactory(merchant=location.merchant, location=location)
        response = anonymous.get(poll_url(session.external_id))
        assert response.status_code == 401
        assert "KioskKey" in response["WWW-Authenticate"]
        anonymous.credentials(HTTP_X_KIOSK_KEY="pbk_not-a-key")
        response = anonymous.get(poll_url(session.external_id))
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_kiosk_key"

    def test_staff_credentials_do_not_open_kiosk_endpoints(self, location, owner, price):
        session = PhotoSessionFactory(merchant=location.merchant, location=location)
        staff = APIClient()
        staff.credentials(HTTP_AUTHORIZATION=f"Token {staff_token_create(user=owner)}")
        assert staff.get(poll_url(session.external_id)).status_code == 401
        assert sell(staff, price).status_code == 401
        assert staff.get(reverse("api:photobox-kiosk-prices")).status_code == 401
        staff.credentials()
        staff.force_login(owner)  # an admin session cookie does not count either
        assert staff.get(poll_url(session.external_id)).status_code == 401
        assert not PhotoSession.objects.exclude(pk=session.pk).exists()

    def test_kiosk_key_does_not_open_staff_endpoints(self, kiosk, location):
        session = PhotoSessionFactory(merchant=location.merchant, location=location)
        assert kiosk.get(SELL).status_code == 401
        detail = reverse("api:photobox-transaction-detail", args=[session.pk])
        assert kiosk.get(detail).status_code == 401
        assert kiosk.get(reverse("api:photobox-location-list")).status_code == 401
        assert kiosk.get(reverse("api:product-list")).status_code == 401

    def test_deactivating_or_rotating_takes_effect_at_once(self, kiosk, location):
        session = PhotoSessionFactory(merchant=location.merchant, location=location)
        url = poll_url(session.external_id)
        assert kiosk.get(url).status_code == 200  # the lookup is now cached
        location.is_active = False
        location.save()
        assert kiosk.get(url).status_code == 401
        location.is_active = True
        location.save()
        assert kiosk.get(url).status_code == 200
        new_key = kiosk_location_rotate_key(location=location)
        assert kiosk.get(url).status_code == 401
        kiosk.credentials(HTTP_X_KIOSK_KEY=new_key)
        assert kiosk.get(url).status_code == 200

    def test_switching_the_merchant_off_locks_its_kiosks(self, kiosk, location):
        session = PhotoSessionFactory(merchant=location.merchant, location=location)
        assert kiosk.get(poll_url(session.external_id)).status_code == 200
        merchant = location.merchant
        merchant.is_active = False
        merchant.save()
        assert kiosk.get(poll_url(session.external_id)).status_code == 401

    def test_only_the_hash_is_stored(self, location):
        row = KioskLocation.objects.filter(pk=location.pk).values().get()
        assert row["key_hash"] == hashlib.sha256(b"key-PB-001").hexdigest()
        assert "key-PB-001" not in {str(value) for value in row.values()}


class TestSell:
    def test_sale_reserves_quota_and_answers_the_qr(self, gw, kiosk, location, price):
        stubs.stub_qris_charge()
        response = sell(kiosk, price, send_invoice=True)

        assert response.status_code == 201, response.content
        body = response.json()
        assert set(body) == {
            "external_id",
            "status",
            "amount",
            "currency",
            "qr_string",
            "expires_at",
        }
        match = EXTERNAL_ID.match(body["external_id"])
        assert match, body["external_id"]
        assert match.group(1) == str(location.pk)
        assert body["status"] == "PENDING"
        assert body["amount"] == "40000.00"
        assert body["qr_string"].startswith("000201")
        session = PhotoSession.objects.get(external_id=body["external_id"])
        minutes = (session.expires_at - session.created_at).total_seconds() / 60
        assert 14.9 < minutes <= 15.01
        assert session.send_invoice is True
        assert session.email == "ani@example.com"
        price.refresh_from_db()
        assert price.quota_used == 1
        # The charge: Midtrans Core QRIS for the package amount, our session as reference.
        [call] = gw.calls
        sent = json.loads(call.request.body)
        assert sent["payment_type"] == "qris"
        assert sent["transaction_details"]["gross_amount"] == 40000
        payment = Payment.objects.get(pk=session.payment_id)
        assert (payment.reference_kind, payment.reference_id) == (
            "photo_session",
            session.external_id,
        )
        assert session.gateway_order_id == payment.gateway_order_id
        assert session.gateway == "midtrans"

    def test_xendit_merchants_charge_through_xendit(self, gw, kiosk, shop, price):
        shop.qris_gateway = Merchant.QrisGateway.XENDIT
        shop.save()
        stubs.stub_xendit_qr_create()
        response = sell(kiosk, price)
        assert response.status_code == 201, response.content
        assert gw.calls[0].request.url == f"{stubs.XENDIT_BASE}/qr_codes"
        session = PhotoSession.objects.get()
        assert session.gateway == "xendit"

    def test_sold_out_is_409_and_writes_nothing(self, gw, kiosk, price):
        KioskPrice.objects.filter(pk=price.pk).update(quota=3, quota_used=3)
        response = sell(kiosk, price)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "quota_exhausted"
        assert "sold out" in response.json()["error"]["message"]
        assert len(gw.calls) == 0
        assert not PhotoSession.objects.exists()

    def test_unlimited_packages_count_but_never_run_out(self, gw, kiosk, shop):
        unlimited = KioskPriceFactory(merchant=shop, quota=None, quota_used=10_000)
        stubs.stub_qris_charge()
        assert sell(kiosk, unlimited).status_code == 201
        unlimited.refresh_from_db()
        assert unlimited.quota_used == 10_001

    @pytest.mark.parametrize(
        "outage",
        [
            lambda: stubs.stub_core_error("POST", "/v2/charge", status=503),
            lambda: stubs.stub_timeout("POST", stubs.core_url("/v2/charge")),
        ],
        ids=["5xx", "timeout"],
    )
    def test_gateway_failure_is_502_and_leaves_nothing_behind(self, gw, kiosk, price, outage):
        outage()
        response = sell(kiosk, price)
        assert response.status_code == 502
        assert response.json()["error"]["code"] == "gateway_error"
        assert not PhotoSession.objects.exists()
        assert not Payment.objects.exists()
        price.refresh_from_db()
        assert price.quota_used == 0

    def test_merchant_without_gateway_keys_is_409_and_leaves_nothing(self, kiosk, shop, price):
        shop.midtrans_server_key = ""
        shop.save()
        response = sell(kiosk, price)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "gateway_not_configured"
        assert not PhotoSession.objects.exists()
        price.refresh_from_db()
        assert price.quota_used == 0

    def test_packages_of_other_kiosks_or_merchants_are_refused(
        self, gw, kiosk, shop, location, other_merchant
    ):
        elsewhere = KioskPriceFactory(merchant=shop, location=KioskLocationFactory(merchant=shop))
        foreign = KioskPriceFactory(merchant=other_merchant)
        retired = KioskPriceFactory(merchant=shop, is_active=False)
        for price in (elsewhere, foreign, retired):
            response = sell(kiosk, price)
            assert response.status_code == 400, price
            assert "price_id" in response.json()["error"]["details"]
        here = KioskPriceFactory(merchant=shop, location=location)
        stubs.stub_qris_charge()
        assert sell(kiosk, here).status_code == 201

    @pytest.mark.parametrize(
        "body",
        [{}, {"price_id": "x", "email": "a@example.com"}, {"price_id": 1, "email": "not-mail"}],
    )
    def test_bad_bodies_are_400(self, kiosk, body):
        assert kiosk.post(SELL, body, format="json").status_code == 400


class TestPoll:
    def test_shape(self, kiosk, location):
        session = PhotoSessionFactory(merchant=location.merchant, location=location)
        response = kiosk.get(poll_url(session.external_id))
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"external_id", "status", "paid_at", "expires_at", "expires_in"}
        assert body["status"] == "PENDING"
        assert 890 <= body["expires_in"] <= 900
        assert body["paid_at"] is None

    def test_at_most_two_queries_and_one_once_the_key_is_cached(
        self, kiosk, location, django_assert_num_queries
    ):
        session = PhotoSessionFactory(merchant=location.merchant, location=location)
        url = poll_url(session.external_id)
        cache.clear()
        with django_assert_num_queries(2):  # the key lookup, then the session
            assert kiosk.get(url).status_code == 200
        with django_assert_num_queries(1):  # the session only
            assert kiosk.get(url).status_code == 200

    def test_past_expiry_reads_expired_before_the_beat(self, kiosk, location):
        session = PhotoSessionFactory(
            merchant=location.merchant,
            location=location,
            expires_at=timezone.now() - timedelta(seconds=1),
        )
        body = kiosk.get(poll_url(session.external_id)).json()
        assert body["status"] == "EXPIRED"
        assert body["expires_in"] == 0
        session.refresh_from_db()
        assert session.status == Status.PENDING  # the read changed nothing

    def test_another_kiosks_session_is_404(self, kiosk, location):
        other = KioskLocationFactory(merchant=location.merchant)
        theirs = PhotoSessionFactory(merchant=location.merchant, location=other)
        response = kiosk.get(poll_url(theirs.external_id))
        assert response.status_code == 404
        assert kiosk_client_for(other).get(poll_url(theirs.external_id)).status_code == 200

    def test_malformed_ids_never_reach_the_database(self, kiosk, django_assert_num_queries):
        with django_assert_num_queries(0):
            response = kiosk.get("/api/v1/photobox/transactions/external/TRX-1-x%00")
        assert response.status_code == 404

    def test_the_body_is_what_the_documented_serializer_gives(self, kiosk, location):
        from photobox.api.serializers import KioskSessionStatusSerializer
        from photobox.selectors import kiosk_session_status

        session = PhotoSessionFactory(
            merchant=location.merchant,
            location=location,
            status=Status.COMPLETED,
            paid_at=timezone.now(),
        )
        row = kiosk_session_status(kiosk=kiosk_identity(location), external_id=session.external_id)
        body = kiosk.get(poll_url(session.external_id)).json()
        assert body == dict(KioskSessionStatusSerializer(row).data)

    def test_completed_session_reads_paid_time(self, kiosk, location):
        paid_at = timezone.now() - timedelta(minutes=1)
        session = PhotoSessionFactory(
            merchant=location.merchant,
            location=location,
            status=Status.COMPLETED,
            paid_at=paid_at,
            expires_at=timezone.now() - timedelta(minutes=1),
        )
        body = kiosk.get(poll_url(session.external_id)).json()
        assert body["status"] == "COMPLETED"  # paid in time: past expiry does not matter
        assert body["paid_at"] is not None


class TestPackages:
    def test_kiosk_sees_its_active_packages_with_quota_left(
        self, kiosk, shop, location, other_merchant
    ):
        KioskPriceFactory(merchant=shop, description="All kiosks", quota=10, quota_used=10)
        KioskPriceFactory(merchant=shop, description="Here", location=location, amount=60000)
        KioskPriceFactory(
            merchant=shop, description="Elsewhere", location=KioskLocationFactory(merchant=shop)
        )
        KioskPriceFactory(merchant=shop, description="Retired", is_active=False)
        KioskPriceFactory(merchant=other_merchant, description="Theirs")
        response = kiosk.get(reverse("api:photobox-kiosk-prices"))
        assert response.status_code == 200
        rows = {row["description"]: row for row in response.json()}
        assert set(rows) == {"All kiosks", "Here"}
        assert rows["All kiosks"]["sold_out"] is True
        assert rows["All kiosks"]["quota_remaining"] == 0
        assert rows["Here"] == {
            "id": rows["Here"]["id"],
            "description": "Here",
            "amount": "60000.00",
            "quota_remaining": None,
            "sold_out": False,
        }
        assert KioskPrice.objects.get(description="Here").amount == Decimal(60000)
