"""The gallery: public only through its token, JSON and page, 410 Gone after expiry."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from photobox.models import PhotoSession, new_gallery_token
from photobox.tests.factories import CompletedSessionFactory, PhotoFactory, PhotoSessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def gallery(merchant):
    now = timezone.now()
    session = CompletedSessionFactory(
        merchant=merchant,
        email_sent_at=now,
        photos_uploaded_at=now,
        photos_expire_at=now + timedelta(days=14),
    )
    PhotoFactory(session=session, order=2, width=800, height=600)
    PhotoFactory(session=session, order=1)
    return session


def json_url(session) -> str:
    return reverse("api:photobox-gallery", args=[session.gallery_token])


def page_url(session) -> str:
    return reverse("photobox-gallery-page", args=[session.gallery_token])


def test_tokens_are_long_random_and_unique():
    tokens = {new_gallery_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(len(token) >= 43 and re.fullmatch(r"[A-Za-z0-9_-]+", token) for token in tokens)


def test_json_lists_the_photos(api_client, gallery, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        response = api_client.get(json_url(gallery))
    assert response.status_code == 200
    body = response.json()
    assert body["external_id"] == gallery.external_id
    assert body["merchant_name"] == gallery.merchant.name
    assert body["count"] == 2
    assert body["email_sent_at"] is not None
    assert body["photos_expire_at"] is not None
    assert [photo["order"] for photo in body["photos"]] == [1, 2]
    first = body["photos"][0]
    assert first["url"] == f"http://testserver/media/{gallery.photos.get(order=1).file.name}"
    assert first["download_url"] == first["url"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]


def test_page_shows_every_photo_with_a_download(client, gallery):
    response = client.get(page_url(gallery))
    assert response.status_code == 200
    html = response.content.decode()
    container = html[html.index('data-testid="gallery"') :]
    assert container.count("<img ") == 2
    assert container.count('data-testid="download"') == 2
    assert f'download="{gallery.external_id}-01.jpg"' in html
    assert "https://" not in html.split("<body>")[0]  # no CDN assets, everything inline
    assert response["Referrer-Policy"] == "no-referrer"
    assert 'name="viewport"' in html


def test_page_on_cloudinary_offers_attachment_downloads(client, gallery, cloudinary_stub):
    html = client.get(page_url(gallery)).content.decode()
    assert "res.cloudinary.com" in html
    assert html.count("/fl_attachment:") == 2
    assert cloudinary_stub.requests == []  # URLs are built offline


@pytest.mark.parametrize(
    "fields",
    [
        {"photos_expire_at": timezone.now() - timedelta(seconds=1)},
        {"photos_cleaned_at": timezone.now()},
    ],
    ids=["expired", "cleaned"],
)
def test_both_answer_410_after_expiry(api_client, client, gallery, fields):
    PhotoSession.objects.filter(pk=gallery.pk).update(**fields)
    response = api_client.get(json_url(gallery))
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "gallery_expired"
    page = client.get(page_url(gallery))
    assert page.status_code == 410
    assert b"not available" in page.content


def test_an_expired_gallery_speaks_the_shops_language_on_the_shops_calendar(
    client, gallery, merchant
):
    """The shop is known, so its page is in the shop's language (as the gallery was), and the
    day the photos went is the shop's day, whatever the browser and the server say."""
    merchant.language = "id"
    merchant.time_zone = "Asia/Jayapura"  # UTC+9; the server's Jakarta is UTC+7
    merchant.save(update_fields=["language", "time_zone"])
    gone_at = datetime(2025, 5, 31, 16, 30, tzinfo=UTC)  # 1 June 01:30 in Jayapura
    PhotoSession.objects.filter(pk=gallery.pk).update(photos_expire_at=gone_at)
    page = client.get(page_url(gallery), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 410
    text = page.content.decode()
    assert '<html lang="id">' in text
    assert "Foto-foto ini tidak tersedia" in text
    assert "Foto-foto ini tersedia sampai 1 Juni 2025 dan sudah dihapus." in text
    assert "not available" not in text


def test_unknown_or_unpaid_tokens_are_404(api_client, client, merchant):
    pending = PhotoSessionFactory(merchant=merchant)
    for token in (new_gallery_token(), pending.gallery_token):
        assert api_client.get(reverse("api:photobox-gallery", args=[token])).status_code == 404
        assert client.get(reverse("photobox-gallery-page", args=[token])).status_code == 404


def test_malformed_tokens_never_reach_a_view(api_client, client):
    assert api_client.get("/api/v1/photobox/gallery/short").status_code == 404
    assert client.get("/gallery/../admin/").status_code == 404
