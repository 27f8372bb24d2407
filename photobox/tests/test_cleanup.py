"""Deleting expired photos: local files and Cloudinary (real SDK, local stub), idempotent, and
the maintenance endpoint behind X-Maintenance-Token."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from merchants.tests.imagedata import image_bytes
from photobox.models import Photo, PhotoSession
from photobox.photos import photo_sessions_clean_expired
from photobox.tasks import photo_session_clean_expired_task
from photobox.tests.factories import CompletedSessionFactory

pytestmark = pytest.mark.django_db
CLEANUP = reverse("api:photobox-maintenance-cleanup")
TOKEN = "maintenance-token-for-tests"


def gallery_with_photos(merchant, *, emailed_days_ago: float, count: int = 2) -> PhotoSession:
    sent = timezone.now() - timedelta(days=emailed_days_ago)
    session = CompletedSessionFactory(
        merchant=merchant,
        photos_uploaded_at=sent,
        email_sent_at=sent,
        photos_expire_at=sent + timedelta(days=django_settings.PHOTOBOX_PHOTO_RETENTION_DAYS),
    )
    for order in range(1, count + 1):
        name = default_storage.save(
            f"photobox/{session.external_id}/{order:02d}-x.png", ContentFile(image_bytes())
        )
        Photo.objects.create(session=session, file=name, size=1, width=40, height=30, order=order)
    return session


def files_under(settings, prefix: str) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / prefix
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


class TestLocal:
    def test_expired_galleries_go_recent_ones_stay(self, merchant, settings):
        old = gallery_with_photos(merchant, emailed_days_ago=15)
        recent = gallery_with_photos(merchant, emailed_days_ago=2)

        result = photo_session_clean_expired_task.delay().get()

        assert result == {"deleted": [old.external_id], "failed": [], "files_deleted": 2}
        assert files_under(settings, f"photobox/{old.external_id}") == []
        assert len(files_under(settings, f"photobox/{recent.external_id}")) == 2
        old.refresh_from_db()
        assert old.photos_cleaned_at is not None
        assert not old.photos.exists()
        assert recent.photos.count() == 2

    def test_running_again_does_nothing(self, merchant):
        old = gallery_with_photos(merchant, emailed_days_ago=15)
        assert photo_sessions_clean_expired().deleted == [old.external_id]
        cleaned_at = PhotoSession.objects.get(pk=old.pk).photos_cleaned_at
        again = photo_sessions_clean_expired()
        assert (again.deleted, again.failed, again.files_deleted) == ([], [], 0)
        assert PhotoSession.objects.get(pk=old.pk).photos_cleaned_at == cleaned_at

    def test_photos_never_emailed_go_after_the_retention_too(self, merchant):
        session = gallery_with_photos(merchant, emailed_days_ago=20)
        PhotoSession.objects.filter(pk=session.pk).update(email_sent_at=None, photos_expire_at=None)
        assert photo_sessions_clean_expired().deleted == [session.external_id]


class TestCloudinary:
    def test_deletes_by_prefix_in_batches_then_the_folder_and_is_idempotent(
        self, merchant, cloudinary_stub
    ):
        session = gallery_with_photos(merchant, emailed_days_ago=15)
        prefix = f"photobox/{session.external_id}"
        cloudinary_stub.requests.clear()
        cloudinary_stub.prefix_answers = [
            {"deleted": {f"{prefix}/01-x": "deleted"}, "partial": True, "next_cursor": "c1"},
            {"deleted": {f"{prefix}/02-x": "deleted"}, "partial": False},
        ]

        report = photo_sessions_clean_expired()

        assert report.deleted == [session.external_id]
        assert report.files_deleted == 2
        first, second = cloudinary_stub.calls("/resources/image/upload", "DELETE")
        assert first.value("prefix") == f"{prefix}/"
        assert second.value("next_cursor") == "c1"
        assert cloudinary_stub.calls(f"/folders/{prefix}", "DELETE")
        session.refresh_from_db()
        assert session.photos_cleaned_at is not None

        cloudinary_stub.requests.clear()
        again = photo_sessions_clean_expired()
        assert again.deleted == []
        assert cloudinary_stub.requests == []

    def test_a_failed_asset_keeps_the_session_for_the_next_run(self, merchant, cloudinary_stub):
        session = gallery_with_photos(merchant, emailed_days_ago=15)
        prefix = f"photobox/{session.external_id}"
        cloudinary_stub.prefix_answers = [{"deleted": {f"{prefix}/01-x": "failed"}}]

        report = photo_sessions_clean_expired()

        assert report.failed == [session.external_id]
        session.refresh_from_db()
        assert session.photos_cleaned_at is None
        assert session.photos.count() == 2
        # The next run succeeds (the stub now reports nothing left) and marks it.
        assert photo_sessions_clean_expired().deleted == [session.external_id]

    def test_an_unreachable_cloudinary_fails_that_session_only(self, merchant, settings):
        settings.CLOUDINARY_URL = "cloudinary://k:s@demo-cloud?upload_prefix=http://127.0.0.1:9"
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "merchants.storage.CloudinaryStorage"},
        }
        session = CompletedSessionFactory(
            merchant=merchant,
            photos_uploaded_at=timezone.now() - timedelta(days=30),
            email_sent_at=timezone.now() - timedelta(days=30),
        )
        report = photo_sessions_clean_expired()
        assert report.failed == [session.external_id]
        assert PhotoSession.objects.get(pk=session.pk).photos_cleaned_at is None


class TestMaintenanceEndpoint:
    def test_unset_token_refuses_everything(self, api_client, settings, merchant):
        settings.MAINTENANCE_TOKEN = ""
        gallery_with_photos(merchant, emailed_days_ago=30)
        assert api_client.post(CLEANUP).status_code == 403
        api_client.credentials(HTTP_X_MAINTENANCE_TOKEN="")
        assert api_client.post(CLEANUP).status_code == 403
        api_client.credentials(HTTP_X_MAINTENANCE_TOKEN="anything")
        assert api_client.post(CLEANUP).status_code == 403
        assert not PhotoSession.objects.filter(photos_cleaned_at__isnull=False).exists()

    def test_missing_is_401_wrong_is_403(self, api_client, settings, owner):
        settings.MAINTENANCE_TOKEN = TOKEN
        response = api_client.post(CLEANUP)
        assert response.status_code == 401
        assert "MaintenanceToken" in response["WWW-Authenticate"]
        api_client.credentials(HTTP_X_MAINTENANCE_TOKEN=TOKEN + "x")
        assert api_client.post(CLEANUP).status_code == 403
        # Staff credentials are no substitute.
        api_client.credentials()
        api_client.force_login(owner)
        assert api_client.post(CLEANUP).status_code == 401

    def test_right_token_cleans_and_lists(self, api_client, settings, merchant):
        settings.MAINTENANCE_TOKEN = TOKEN
        old = gallery_with_photos(merchant, emailed_days_ago=15)
        week = gallery_with_photos(merchant, emailed_days_ago=8)
        api_client.credentials(HTTP_X_MAINTENANCE_TOKEN=TOKEN)

        response = api_client.post(f"{CLEANUP}?days=14")
        assert response.status_code == 200, response.content
        assert response.json() == {
            "days": 14,
            "deleted": [old.external_id],
            "failed": [],
            "files_deleted": 2,
        }
        response = api_client.post(f"{CLEANUP}?days=7")
        assert response.json()["deleted"] == [week.external_id]
        assert api_client.post(f"{CLEANUP}?days=7").json()["deleted"] == []

    @pytest.mark.parametrize("days", ["0", "-1", "abc", "99999", "1.5"])
    def test_days_must_be_sensible(self, api_client, settings, days):
        settings.MAINTENANCE_TOKEN = TOKEN
        api_client.credentials(HTTP_X_MAINTENANCE_TOKEN=TOKEN)
        response = api_client.post(f"{CLEANUP}?days={days}")
        assert response.status_code == 400
        assert "days" in response.json()["error"]["details"]

    def test_the_check_is_constant_time(self, api_client, settings):
        from unittest import mock

        settings.MAINTENANCE_TOKEN = TOKEN
        api_client.credentials(HTTP_X_MAINTENANCE_TOKEN="wrong")
        with mock.patch("photobox.auth.hmac.compare_digest", return_value=False) as compare:
            assert api_client.post(CLEANUP).status_code == 403
        compare.assert_called_once_with(TOKEN.encode(), b"wrong")
