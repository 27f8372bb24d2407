"""Media on an S3-compatible bucket (moto's server over HTTP), and /media/ served by the web
process only for local files."""

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from storages.backends.s3 import S3Storage

from catalog.tests.factories import ProductFactory
from merchants.storage import storage_delete_prefix
from merchants.tests.imagedata import image_bytes, upload
from merchants.tests.s3_server import BUCKET, bucket_keys

pytestmark = pytest.mark.django_db


def test_a_product_image_goes_to_the_bucket_and_its_url_points_there(
    s3_media, owner_client, merchant, client
):
    product = ProductFactory(merchant=merchant)
    response = owner_client.post(
        reverse("api:product-thumbnail", args=[product.pk]),
        {"file": upload("photo.png")},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert isinstance(default_storage._wrapped, S3Storage)
    [key] = bucket_keys(s3_media)
    assert key.startswith(f"merchants/{merchant.pk}/products/{product.pk}/thumbnail-")
    url = response.json()["thumbnail_url"]
    assert url == f"{s3_media.meta.endpoint_url}/{BUCKET}/{key}"
    stored = s3_media.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert stored.startswith(b"\x89PNG")
    # The web process does not stream files of a media store.
    assert client.get(f"/media/{key}").status_code == 404


def test_reading_and_deleting_by_prefix_work_on_the_bucket(s3_media):
    for name in ("photobox/TRX-1/01.png", "photobox/TRX-1/02.png", "photobox/TRX-2/01.png"):
        assert default_storage.save(name, ContentFile(image_bytes())) == name
    with default_storage.open("photobox/TRX-1/01.png") as stored:
        assert stored.read() == image_bytes()
    # Names are never overwritten: a second save of a taken name gets a new one.
    assert (
        default_storage.save("photobox/TRX-1/01.png", ContentFile(b"x")) != "photobox/TRX-1/01.png"
    )

    deleted, failed = storage_delete_prefix(default_storage, "photobox/TRX-1")

    assert len(deleted) == 3
    assert failed == []
    assert bucket_keys(s3_media) == ["photobox/TRX-2/01.png"]


def test_local_media_files_are_served_by_the_web_process(settings):
    client = Client(raise_request_exception=False)
    path = Path(settings.MEDIA_ROOT) / "merchants" / "1" / "a.png"
    path.parent.mkdir(parents=True)
    path.write_bytes(image_bytes())
    response = client.get("/media/merchants/1/a.png")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == image_bytes()
    assert client.get("/media/merchants/1/missing.png").status_code == 404
    assert client.get("/media/../config/settings.py").status_code == 400
