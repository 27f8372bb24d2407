"""Redis down: the kiosk poll reads the key from the database, a rotation still bites at once,
and the gallery email of an upload waits in the outbox instead of failing the upload."""

import pytest
from django.urls import reverse

from merchants.models import OutboxTask
from merchants.outbox import outbox_send_pending
from merchants.tests.imagedata import image_bytes, upload
from photobox.services import kiosk_location_rotate_key
from photobox.tests.conftest import kiosk_client_for
from photobox.tests.factories import CompletedSessionFactory, PhotoSessionFactory

pytestmark = pytest.mark.django_db


def test_the_poll_answers_from_the_database(cache_down, kiosk, location):
    session = PhotoSessionFactory(merchant=location.merchant, location=location)
    url = reverse("api:photobox-kiosk-status", args=[session.external_id])
    for _ in range(3):
        response = kiosk.get(url)
        assert response.status_code == 200
        assert response.json()["status"] == "PENDING"


def test_a_rotated_key_is_refused_at_once_during_the_outage(cache_down, settings, location):
    settings.PHOTOBOX_POLL_KEY_LOCAL_SECONDS = 0
    session = PhotoSessionFactory(merchant=location.merchant, location=location)
    url = reverse("api:photobox-kiosk-status", args=[session.external_id])
    old = kiosk_client_for(location)
    assert old.get(url).status_code == 200
    new_key = kiosk_location_rotate_key(location=location)
    assert old.get(url).status_code == 401
    assert kiosk_client_for(location, new_key).get(url).status_code == 200


def test_the_gallery_email_waits_in_the_outbox(
    cache_down, broker_down, kiosk, location, price, mailoutbox, django_capture_on_commit_callbacks
):
    session = CompletedSessionFactory(
        merchant=location.merchant, location=location, price=price, email="ani@example.com"
    )
    url = reverse("api:photobox-kiosk-photos", args=[session.external_id])
    with django_capture_on_commit_callbacks(execute=True):
        response = kiosk.post(
            url, {"files": [upload("a.jpg", image_bytes("JPEG"), "image/jpeg")]}, format="multipart"
        )
    assert response.status_code == 201, response.content
    assert OutboxTask.objects.get().task_name == "photobox.tasks.photo_session_send_email_task"
    assert mailoutbox == []
    broker_down.restore()
    outbox_send_pending()
    assert [m.to for m in mailoutbox] == [["ani@example.com"]]
