"""Admin: kiosk keys shown once (never stored), quota columns, read-only money and actions."""

import re
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from payments.models import Payment
from payments.tests import stubs
from payments.tests.factories import PaymentFactory
from photobox.auth import kiosk_key_hash
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
KEY_ON_PAGE = re.compile(r'data-testid="kiosk-key"[^>]*>(pbk_[A-Za-z0-9_-]+)<')


@pytest.fixture
def officer_admin(client, officer):
    client.force_login(officer)
    return client


def admin_url(model, view, *args):
    return reverse(f"admin:photobox_{model._meta.model_name}_{view}", args=args)


def test_the_location_filter_offers_the_shops_kiosks_without_reading_its_sessions(
    owner_admin, merchant, other_merchant
):
    PhotoSessionFactory(location=KioskLocationFactory(merchant=merchant, name="Mall"))
    KioskLocationFactory(merchant=merchant, name="Station")  # no session yet
    PhotoSessionFactory(location=KioskLocationFactory(merchant=other_merchant, name="Theirs"))

    with CaptureQueriesContext(connection) as captured:
        response = owner_admin.get(admin_url(PhotoSession, "changelist"))

    [spec] = [
        spec
        for spec in response.context_data["cl"].filter_specs
        if getattr(spec, "field_path", None) == "location"
    ]
    assert sorted(label.split(" · ")[1] for _pk, label in spec.lookup_choices) == [
        "Mall",
        "Station",
    ]
    kiosk_queries = [
        query["sql"]
        for query in captured
        if query["sql"].startswith('SELECT "photobox_kiosklocation"')
    ]
    assert kiosk_queries
    assert not [sql for sql in kiosk_queries if "photobox_photosession" in sql]


@pytest.mark.parametrize("model", [KioskLocation, KioskPrice, PhotoSession], ids=str)
def test_pages_open(owner_admin, merchant, model):
    PhotoFactory(session=CompletedSessionFactory(merchant=merchant))
    assert owner_admin.get(admin_url(model, "changelist")).status_code == 200
    assert owner_admin.get(admin_url(model, "changelist"), {"q": "x"}).status_code == 200
    obj = model.objects.first()
    assert owner_admin.get(admin_url(model, "change", obj.pk)).status_code == 200


class TestKeys:
    def test_adding_a_location_shows_its_key_once(self, owner_admin, merchant):
        response = owner_admin.post(
            admin_url(KioskLocation, "add"),
            {"merchant": merchant.pk, "machine_code": "PB-777", "name": "Lobby", "is_active": "on"},
        )
        assert response.status_code == 200, response.content
        assert "no-store" in response["Cache-Control"]
        [key] = KEY_ON_PAGE.findall(response.content.decode())
        location = KioskLocation.objects.get(machine_code="PB-777")
        assert location.key_hash == kiosk_key_hash(key)
        assert key_opens(key, location)
        page = owner_admin.get(admin_url(KioskLocation, "change", location.pk)).content.decode()
        assert key not in page
        assert location.key_prefix in page

    def test_rotate_action_confirms_then_shows_the_new_key_once(self, owner_admin, merchant):
        location = KioskLocationFactory(merchant=merchant)
        old_key = f"key-{location.machine_code}"
        url = admin_url(KioskLocation, "changelist")
        form = {"action": "rotate_keys", ACTION_CHECKBOX_NAME: [location.pk]}

        confirm = owner_admin.post(url, form)
        assert confirm.status_code == 200
        assert b"Yes, rotate the keys" in confirm.content
        assert KioskLocation.objects.get(pk=location.pk).key_hash == location.key_hash

        done = owner_admin.post(url, {**form, "confirm": "yes"})
        assert done.status_code == 200
        assert "no-store" in done["Cache-Control"]
        [new_key] = KEY_ON_PAGE.findall(done.content.decode())
        location.refresh_from_db()
        assert location.key_hash == kiosk_key_hash(new_key)
        assert key_opens(new_key, location)
        assert not key_opens(old_key, location)
        # Never in the messages (stored in the session or a cookie) either.
        assert new_key not in owner_admin.get(url).content.decode()

    def test_officer_cannot_rotate(self, officer_admin, merchant):
        location = KioskLocationFactory(merchant=merchant)
        url = admin_url(KioskLocation, "changelist")
        officer_admin.post(
            url, {"action": "rotate_keys", ACTION_CHECKBOX_NAME: [location.pk], "confirm": "yes"}
        )
        assert KioskLocation.objects.get(pk=location.pk).key_hash == location.key_hash


def test_prices_show_quota_used_and_left(owner_admin, merchant):
    KioskPriceFactory(merchant=merchant, description="Limited", quota=100, quota_used=7)
    KioskPriceFactory(merchant=merchant, description="Open", quota=None)
    html = owner_admin.get(admin_url(KioskPrice, "changelist")).content.decode()
    assert '<td class="field-quota_left">93</td>' in html
    assert '<td class="field-quota_left">unlimited</td>' in html
    assert '<td class="field-quota_used">7</td>' in html


class TestSessions:
    def test_changelist_filters_and_bounded_queries(
        self, owner_admin, merchant, django_assert_max_num_queries
    ):
        location = KioskLocationFactory(merchant=merchant, name="Mall")
        for _ in range(10):
            PhotoFactory(session=CompletedSessionFactory(merchant=merchant, location=location))
        PhotoSessionFactory(
            merchant=merchant, location=location, external_id="TRX-9-20250101100000-0000dead"
        )
        url = admin_url(PhotoSession, "changelist")
        with django_assert_max_num_queries(14):
            response = owner_admin.get(url)
        assert response.status_code == 200
        pending = owner_admin.get(url, {"status__exact": "PENDING"}).content.decode()
        assert "TRX-9-20250101100000-0000dead" in pending
        assert pending.count('class="field-external_id"') == 1
        assert owner_admin.get(url, {"location__id__exact": location.pk}).status_code == 200
        assert owner_admin.get(url, {"issue": "refund_due"}).status_code == 200

    def test_change_page_shows_thumbnails_and_keeps_money_read_only(self, owner_admin, merchant):
        session = CompletedSessionFactory(merchant=merchant, email="old@example.com")
        photo = PhotoFactory(session=session)
        url = admin_url(PhotoSession, "change", session.pk)
        page = owner_admin.get(url).content.decode()
        assert f'src="/media/{photo.file.name}"' in page
        assert 'name="amount"' not in page
        assert 'name="status"' not in page
        response = owner_admin.post(
            url,
            {
                "email": "new@example.com",
                "send_invoice": "on",
                "amount": "1",
                "status": "FAILED",
                "photos-TOTAL_FORMS": "1",
                "photos-INITIAL_FORMS": "1",
                "photos-MIN_NUM_FORMS": "0",
                "photos-MAX_NUM_FORMS": "0",
                "photos-0-id": photo.pk,
                "photos-0-session": session.pk,
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        session.refresh_from_db()
        assert session.email == "new@example.com"
        assert (session.amount, session.status) == (Decimal(40000), "COMPLETED")

    def test_nobody_adds_or_deletes_sessions(self, owner_admin, merchant):
        session = PhotoSessionFactory(merchant=merchant)
        assert owner_admin.get(admin_url(PhotoSession, "add")).status_code == 403
        assert owner_admin.get(admin_url(PhotoSession, "delete", session.pk)).status_code == 403

    def test_resend_email_action(self, owner_admin, merchant, django_capture_on_commit_callbacks):
        session = CompletedSessionFactory(merchant=merchant, email="ani@example.com")
        PhotoFactory(session=session)
        unpaid = PhotoSessionFactory(merchant=merchant)
        with django_capture_on_commit_callbacks(execute=True):
            response = owner_admin.post(
                admin_url(PhotoSession, "changelist"),
                {"action": "resend_email", ACTION_CHECKBOX_NAME: [session.pk, unpaid.pk]},
                follow=True,
            )
        assert response.status_code == 200
        assert [m.to for m in mail.outbox] == [["ani@example.com"]]
        messages = [str(m) for m in response.context["messages"]]
        assert any("never paid" in m for m in messages)
        assert any("1 gallery email" in m for m in messages)

    def test_refund_late_payment_action(self, owner_admin, shop, gw):
        payment = PaymentFactory(
            merchant=shop,
            reference_kind="photo_session",
            method=Payment.Method.QRIS,
            amount=Decimal(40000),
            status=Payment.Status.PAID,
        )
        session = PhotoSessionFactory(
            merchant=shop,
            status=PhotoSession.Status.EXPIRED,
            payment=payment,
            payment_issue=PhotoSession.PaymentIssue.PAID_LATE,
        )
        stubs.stub_refund(payment.gateway_order_id, 40000, refund_amount=40000, partial=False)
        owner_admin.post(
            admin_url(PhotoSession, "changelist"),
            {"action": "refund_late_payment", ACTION_CHECKBOX_NAME: [session.pk]},
        )
        payment.refresh_from_db()
        assert payment.status == Payment.Status.REFUNDED
        session.refresh_from_db()
        assert session.status == PhotoSession.Status.EXPIRED
