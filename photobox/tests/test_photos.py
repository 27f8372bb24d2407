"""Photo uploads (checked by content, only for a paid session) and the gallery email."""

import smtplib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from merchants.tests.imagedata import image_bytes, png_bomb, upload
from photobox.models import Photo, PhotoSession
from photobox.photos import photo_session_send_email
from photobox.tasks import photo_session_send_email_task
from photobox.tests.conftest import kiosk_client_for
from photobox.tests.factories import (
    CompletedSessionFactory,
    KioskLocationFactory,
    PhotoFactory,
    PhotoSessionFactory,
)

pytestmark = pytest.mark.django_db
Status = PhotoSession.Status


def photos_url(session) -> str:
    return reverse("api:photobox-kiosk-photos", args=[session.external_id])


def jpeg(name="shot.jpg"):
    return upload(name, image_bytes("JPEG"), "image/jpeg")


def post(client, session, files):
    return client.post(photos_url(session), {"files": files}, format="multipart")


def stored_files(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def paid(location, price):
    return CompletedSessionFactory(
        merchant=location.merchant,
        location=location,
        price=price,
        email="ani@example.com",
        external_id=f"TRX-{location.pk}-20250101100000-0000beef",
    )


class TestUpload:
    def test_a_polyglot_photo_is_stored_without_its_foreign_bytes(self, kiosk, paid, settings):
        from merchants.tests.test_images import PAYLOAD, jpeg_with_metadata

        polyglot = upload("p.jpg", jpeg_with_metadata() + PAYLOAD, "image/jpeg")
        assert post(kiosk, paid, [polyglot]).status_code == 201
        [name] = stored_files(settings)
        stored = (Path(settings.MEDIA_ROOT) / name).read_bytes()
        assert PAYLOAD not in stored
        assert b"Exif" not in stored  # no camera metadata, no GPS position
        assert Photo.objects.get().size == len(stored)

    def test_photos_are_stored_under_the_session_and_the_email_goes_out(
        self, kiosk, paid, settings, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = post(kiosk, paid, [jpeg("my holiday.jpg"), upload("b.PNG")])

        assert response.status_code == 201, response.content
        body = response.json()
        assert body["photo_count"] == 2
        assert [p["order"] for p in body["photos"]] == [1, 2]
        assert (body["photos"][0]["width"], body["photos"][0]["height"]) == (40, 30)
        assert body["gallery_url"] == f"{settings.GALLERY_BASE_URL}/gallery/{paid.gallery_token}/"
        files = stored_files(settings)
        assert len(files) == 2
        assert all(f.startswith(f"photobox/{paid.external_id}/") for f in files)
        assert files[0].endswith(".jpg")
        assert files[1].endswith(".png")
        assert "holiday" not in files[0]  # our names, not the kiosk's
        assert len(callbacks) == 1  # the email task is queued on commit
        [email] = mail.outbox
        assert email.to == ["ani@example.com"]
        paid.refresh_from_db()
        assert paid.email_sent_at is not None
        assert paid.photos_expire_at - paid.email_sent_at == timedelta(days=14)

    def test_the_email_tells_the_time_where_the_kiosk_stands(self, paid):
        # The worker renders in the server's zone (Asia/Jakarta); a Bali kiosk is an hour ahead.
        paid.merchant.time_zone = "Asia/Makassar"
        paid.merchant.save(update_fields=["time_zone"])
        paid.paid_at = datetime(2025, 1, 1, 3, 30, tzinfo=UTC)
        paid.send_invoice = True  # the receipt part shows the time it was paid
        paid.save(update_fields=["paid_at", "send_invoice"])
        PhotoFactory(session=paid)

        photo_session_send_email(session_id=paid.pk, send_number=1)

        [email] = mail.outbox
        assert "1 January 2025, 11:30" in email.body  # 03:30 UTC is 11:30 in Makassar
        assert "1 January 2025, 11:30" in email.alternatives[0][0]
        assert "Your 1 photo is ready" in email.body

    def test_second_upload_after_the_email_is_409(
        self, kiosk, paid, settings, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            assert post(kiosk, paid, [jpeg()]).status_code == 201
        response = post(kiosk, paid, [jpeg()])
        assert response.status_code == 409
        error = response.json()["error"]
        assert error["code"] == "already_emailed"
        assert "already emailed" in error["message"]
        assert len(stored_files(settings)) == 1

    def test_uploads_before_the_email_add_up(self, kiosk, paid):
        # The email task has not run yet (a real broker): a second batch is still welcome.
        assert post(kiosk, paid, [jpeg(), jpeg()]).status_code == 201
        response = post(kiosk, paid, [jpeg()])
        assert response.status_code == 201
        assert response.json()["photo_count"] == 3
        assert [p.order for p in paid.photos.all()] == [1, 2, 3]

    @pytest.mark.parametrize(
        ("name", "data", "reason"),
        [
            ("photo.jpg", b"%PDF-1.7 a renamed document", "not an image"),
            ("photo.jpg", image_bytes("WEBP"), "not an image in an accepted format (JPEG, PNG)"),
            ("bomb.png", png_bomb(), "pixels"),
            ("big.jpg", image_bytes("JPEG") + b"\0" * 4096, "the limit is"),
        ],
        ids=["renamed-non-image", "webp", "bomb", "oversize"],
    )
    def test_bad_files_are_400_and_nothing_is_stored(
        self, kiosk, paid, settings, name, data, reason
    ):
        settings.PHOTOBOX_PHOTO_MAX_BYTES = 4096
        response = post(kiosk, paid, [jpeg("good.jpg"), upload(name, data, "image/jpeg")])
        assert response.status_code == 400, response.content
        message = response.json()["error"]["message"]
        assert message.startswith(f"{name}: ")
        assert reason in message
        assert stored_files(settings) == []
        assert not Photo.objects.exists()
        assert mail.outbox == []

    def test_at_most_50_per_session(self, kiosk, paid, settings):
        settings.PHOTOBOX_MAX_PHOTOS_PER_SESSION = 3
        response = post(kiosk, paid, [jpeg() for _ in range(4)])
        assert response.status_code == 400
        assert "At most 3" in response.json()["error"]["message"]
        assert post(kiosk, paid, [jpeg(), jpeg()]).status_code == 201
        response = post(kiosk, paid, [jpeg(), jpeg()])
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "too_many_photos"
        assert paid.photos.count() == 2

    @pytest.mark.parametrize(
        ("fields", "code"),
        [
            ({"status": Status.PENDING}, "not_paid"),
            (
                {"status": Status.PENDING, "expires_at": timezone.now() - timedelta(minutes=1)},
                "session_closed",
            ),
            ({"status": Status.EXPIRED}, "session_closed"),
            ({"status": Status.FAILED}, "session_closed"),
        ],
        ids=["pending", "pending-past-expiry", "expired", "failed"],
    )
    def test_wrong_status_is_409_saying_why(self, kiosk, location, settings, fields, code):
        session = PhotoSessionFactory(merchant=location.merchant, location=location, **fields)
        response = post(kiosk, session, [jpeg()])
        assert response.status_code == 409
        assert response.json()["error"]["code"] == code
        assert session.external_id in response.json()["error"]["message"]
        assert stored_files(settings) == []

    def test_another_kiosks_session_is_404(self, paid, location, settings):
        other = kiosk_client_for(KioskLocationFactory(merchant=location.merchant))
        assert post(other, paid, [jpeg()]).status_code == 404
        assert stored_files(settings) == []

    def test_no_files_is_400(self, kiosk, paid):
        response = kiosk.post(photos_url(paid), {}, format="multipart")
        assert response.status_code == 400
        assert "files" in response.json()["error"]["details"]

    def test_on_cloudinary_the_folder_is_the_session(self, kiosk, paid, cloudinary_stub):
        response = post(kiosk, paid, [jpeg()])
        assert response.status_code == 201, response.content
        [call] = cloudinary_stub.calls("/image/upload", "POST")
        assert call.value("asset_folder") == f"photobox/{paid.external_id}"
        assert call.value("public_id").startswith(f"photobox/{paid.external_id}/01-")
        photo = response.json()["photos"][0]
        assert photo["url"].startswith("https://res.cloudinary.com/")
        assert "/fl_attachment:" in photo["download_url"]

    def test_a_failed_store_removes_what_was_stored(self, kiosk, paid, settings):
        from django.core.files.storage import default_storage

        real_save = default_storage.save
        calls = []

        def flaky(name, content, **kwargs):
            calls.append(name)
            if len(calls) == 2:
                raise OSError("disk full")
            return real_save(name, content, **kwargs)

        with mock.patch.object(default_storage, "save", side_effect=flaky):
            response = post(kiosk, paid, [jpeg(), jpeg()])
        assert response.status_code == 500  # our disk, our fault
        assert len(calls) == 2
        assert stored_files(settings) == []
        assert not Photo.objects.exists()


class TestEmail:
    def test_content_link_and_invoice(self, paid, settings):
        settings.GALLERY_BASE_URL = "https://photos.example.com"
        paid.send_invoice = True
        paid.save()
        PhotoFactory(session=paid, order=1)
        PhotoFactory(session=paid, order=2)

        assert photo_session_send_email(session_id=paid.pk, send_number=1) is True

        [email] = mail.outbox
        link = f"https://photos.example.com/gallery/{paid.gallery_token}/"
        assert email.subject == f"Your 2 photos from {paid.merchant.name} and your receipt"
        assert link in email.body
        html = email.alternatives[0][0]
        assert f'href="{link}"' in html
        assert "Receipt" in html
        assert paid.external_id in html
        assert "IDR 40,000" in email.body
        assert "Four shots" in email.body
        paid.refresh_from_db()
        expiry = paid.photos_expire_at
        assert timezone.localtime(expiry, paid.merchant.tzinfo).strftime("%-d %B %Y") in email.body
        assert email.from_email.startswith(paid.merchant.name)

    def test_no_invoice_unless_asked(self, paid):
        PhotoFactory(session=paid)
        photo_session_send_email(session_id=paid.pk, send_number=1)
        [email] = mail.outbox
        assert "receipt" not in email.subject.lower()
        assert "RECEIPT" not in email.body

    def test_a_second_delivery_sends_nothing(self, paid):
        PhotoFactory(session=paid)
        assert photo_session_send_email_task.delay(paid.pk, 1).get() is True
        assert photo_session_send_email_task.delay(paid.pk, 1).get() is False
        assert len(mail.outbox) == 1
        paid.refresh_from_db()
        assert paid.email_send_count == 1

    def test_smtp_failure_gives_the_send_back_for_a_retry(self, paid):
        PhotoFactory(session=paid)
        with (
            mock.patch(
                "photobox.photos.send_templated_email",
                side_effect=smtplib.SMTPServerDisconnected("gone"),
            ),
            pytest.raises(smtplib.SMTPServerDisconnected),
        ):
            photo_session_send_email(session_id=paid.pk, send_number=1)
        paid.refresh_from_db()
        assert (paid.email_send_count, paid.email_sent_at) == (0, None)
        assert photo_session_send_email(session_id=paid.pk, send_number=1) is True
        assert len(mail.outbox) == 1

    def test_the_task_retries_smtp_errors_with_backoff(self):
        task = photo_session_send_email_task
        assert smtplib.SMTPException in task.autoretry_for
        assert task.retry_backoff
        assert task.max_retries >= 3
        assert task.acks_late


class TestResendEmail:
    def url(self, session):
        return reverse("api:photobox-transaction-resend-email", args=[session.pk])

    def test_owner_resends_to_a_corrected_address(
        self, owner_client, paid, django_capture_on_commit_callbacks
    ):
        PhotoFactory(session=paid)
        photo_session_send_email(session_id=paid.pk, send_number=1)
        first_expiry = PhotoSession.objects.get(pk=paid.pk).photos_expire_at
        with django_capture_on_commit_callbacks(execute=True):
            response = owner_client.post(self.url(paid), {"email": "ani.new@example.com"})
        assert response.status_code == 202, response.content
        assert response.json()["email"] == "ani.new@example.com"
        assert [m.to for m in mail.outbox] == [["ani@example.com"], ["ani.new@example.com"]]
        paid.refresh_from_db()
        assert paid.email_send_count == 2
        assert paid.photos_expire_at == first_expiry  # the retention clock does not restart

    def test_a_malformed_address_is_400_and_sends_nothing(
        self, owner_client, paid, django_capture_on_commit_callbacks
    ):
        PhotoFactory(session=paid)
        with django_capture_on_commit_callbacks(execute=True) as queued:
            response = owner_client.post(self.url(paid), {"email": "not-an-address"})
        assert response.status_code == 400
        assert "email" in response.json()["error"]["details"]
        assert queued == []
        assert mail.outbox == []
        paid.refresh_from_db()
        assert (paid.email, paid.email_send_count) == ("ani@example.com", 0)

    def test_officer_cannot(self, officer_client, paid):
        PhotoFactory(session=paid)
        assert officer_client.post(self.url(paid), {}).status_code == 403
        assert mail.outbox == []

    @pytest.mark.parametrize(
        "fields",
        [
            {"status": Status.PENDING},
            {"photos_expire_at": timezone.now() - timedelta(minutes=1)},
            {"photos_cleaned_at": timezone.now()},
        ],
        ids=["unpaid", "expired", "cleaned"],
    )
    def test_nothing_to_send_is_409(self, owner_client, paid, fields):
        PhotoFactory(session=paid)
        PhotoSession.objects.filter(pk=paid.pk).update(**fields)
        response = owner_client.post(self.url(paid), {})
        assert response.status_code == 409
        assert mail.outbox == []

    def test_without_photos_is_409(self, owner_client, paid):
        response = owner_client.post(self.url(paid), {})
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "no_photos"
