"""Product images through the API: checked by content, stored under the merchant, removed."""

from pathlib import Path

import pytest
from django.urls import reverse

from catalog.models import ProductImage
from catalog.services import product_detail_images_add
from catalog.tests.factories import ProductFactory
from merchants.errors import Conflict
from merchants.testing import requires_postgres, run_concurrently
from merchants.tests.imagedata import image_bytes, png_bomb, upload

pytestmark = pytest.mark.django_db


def thumbnail_url(product):
    return reverse("api:product-thumbnail", args=[product.pk])


def details_url(product):
    return reverse("api:product-detail-images", args=[product.pk])


def stored_files(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def product(merchant):
    return ProductFactory(merchant=merchant)


class TestThumbnail:
    def test_upload_replace_and_remove(
        self, owner_client, product, merchant, settings, django_capture_on_commit_callbacks
    ):
        response = owner_client.post(
            thumbnail_url(product), {"file": upload("my photo.PNG")}, format="multipart"
        )
        assert response.status_code == 201, response.content
        body = response.json()
        [image] = body["images"]
        assert image["kind"] == "thumbnail"
        assert (image["width"], image["height"]) == (40, 30)
        assert body["thumbnail_url"] == image["url"]
        [first] = stored_files(settings)
        assert first.startswith(f"merchants/{merchant.pk}/products/{product.pk}/thumbnail-")
        assert first.endswith(".png")
        assert "my photo" not in first  # the name is ours, not the client's

        with django_capture_on_commit_callbacks(execute=True):
            response = owner_client.post(
                thumbnail_url(product),
                {"file": upload("new.jpg", image_bytes("JPEG"), "image/jpeg")},
                format="multipart",
            )
        assert response.status_code == 201
        [second] = stored_files(settings)
        assert second != first
        assert second.endswith(".jpg")
        assert ProductImage.objects.filter(product=product).count() == 1

        with django_capture_on_commit_callbacks(execute=True):
            assert owner_client.delete(thumbnail_url(product)).status_code == 204
        assert stored_files(settings) == []
        assert owner_client.delete(thumbnail_url(product)).status_code == 404

    @pytest.mark.parametrize(
        ("name", "data", "reason"),
        [
            ("menu.jpg", b"<html>surprise</html>", "not an image"),
            ("anim.gif", image_bytes("GIF"), "not an image in an accepted format"),
            ("bomb.png", png_bomb(), "pixels"),
            ("big.png", image_bytes() + b"\0" * 2048, "the limit is"),
        ],
    )
    def test_bad_files_are_400_naming_file_and_reason(
        self, owner_client, product, settings, name, data, reason
    ):
        settings.CATALOG_THUMBNAIL_MAX_BYTES = 2048
        response = owner_client.post(
            thumbnail_url(product), {"file": upload(name, data)}, format="multipart"
        )
        assert response.status_code == 400, response.content
        message = response.json()["error"]["message"]
        assert message.startswith(f"{name}: ")
        assert reason in message
        assert stored_files(settings) == []
        assert not ProductImage.objects.exists()

    def test_missing_file_is_400(self, owner_client, product):
        response = owner_client.post(thumbnail_url(product), {}, format="multipart")
        assert response.status_code == 400
        assert "file" in response.json()["error"]["details"]

    def test_officer_cannot_upload(self, officer_client, product, settings):
        response = officer_client.post(
            thumbnail_url(product), {"file": upload()}, format="multipart"
        )
        assert response.status_code == 403
        assert stored_files(settings) == []


class TestDetailImages:
    def post(self, client, product, files):
        return client.post(details_url(product), {"files": files}, format="multipart")

    def test_add_up_to_three_then_delete(
        self, owner_client, product, settings, django_capture_on_commit_callbacks
    ):
        response = self.post(owner_client, product, [upload("a.png"), upload("b.png")])
        assert response.status_code == 201, response.content
        first_ids = [row["id"] for row in response.json()]
        assert [row["sort_order"] for row in response.json()] == [0, 1]
        response = self.post(owner_client, product, [upload("c.png")])
        assert response.status_code == 201
        assert response.json()[0]["sort_order"] == 2
        assert len(stored_files(settings)) == 3

        # A fourth is refused and nothing more is stored.
        response = self.post(owner_client, product, [upload("d.png")])
        assert response.status_code == 409
        assert "at most 3" in response.json()["error"]["message"]
        assert len(stored_files(settings)) == 3

        with django_capture_on_commit_callbacks(execute=True):
            response = owner_client.delete(details_url(product), {"ids": first_ids}, format="json")
        assert response.status_code == 200
        assert response.json() == {"deleted": 2}
        assert len(stored_files(settings)) == 1
        detail = owner_client.get(reverse("api:product-detail", args=[product.pk])).json()
        assert [image["kind"] for image in detail["images"]] == ["detail"]

    def test_too_many_at_once_is_400(self, owner_client, product, settings):
        response = self.post(owner_client, product, [upload(f"{i}.png") for i in range(4)])
        assert response.status_code == 400
        assert "At most 3" in response.json()["error"]["message"]
        assert stored_files(settings) == []

    def test_one_bad_file_stores_none(self, owner_client, product, settings):
        files = [upload("good.png"), upload("evil.png", b"MZ\x90\x00 executable")]
        response = self.post(owner_client, product, files)
        assert response.status_code == 400
        assert response.json()["error"]["message"].startswith("evil.png: ")
        assert response.json()["error"]["details"]["files"]
        assert stored_files(settings) == []
        assert not ProductImage.objects.exists()

    def test_oversize_detail_image(self, owner_client, product, settings):
        settings.CATALOG_DETAIL_IMAGE_MAX_BYTES = 1024
        response = self.post(
            owner_client, product, [upload("huge.png", image_bytes() + b"\0" * 2048)]
        )
        assert response.status_code == 400
        assert "huge.png: the file is" in response.json()["error"]["message"]

    def test_delete_unknown_or_other_products_image_is_404(self, owner_client, product, merchant):
        other = ProductFactory(merchant=merchant)
        self.post(owner_client, other, [upload()])
        foreign_id = ProductImage.objects.get(product=other).pk
        response = owner_client.delete(details_url(product), {"ids": [foreign_id]}, format="json")
        assert response.status_code == 404
        assert ProductImage.objects.filter(pk=foreign_id).exists()
        response = owner_client.delete(details_url(product), {"ids": []}, format="json")
        assert response.status_code == 400

    def test_deleting_the_product_removes_its_files(
        self, owner_client, product, settings, django_capture_on_commit_callbacks
    ):
        self.post(owner_client, product, [upload("a.png"), upload("b.png")])
        owner_client.post(thumbnail_url(product), {"file": upload()}, format="multipart")
        assert len(stored_files(settings)) == 3
        with django_capture_on_commit_callbacks(execute=True):
            assert (
                owner_client.delete(reverse("api:product-detail", args=[product.pk])).status_code
                == 204
            )
        assert stored_files(settings) == []


class TestOnCloudinary:
    def test_thumbnail_goes_to_the_merchant_folder_and_is_destroyed_with_the_row(
        self, owner_client, product, merchant, cloudinary_stub, django_capture_on_commit_callbacks
    ):
        response = owner_client.post(
            thumbnail_url(product), {"file": upload("p.png")}, format="multipart"
        )
        assert response.status_code == 201, response.content
        [call] = cloudinary_stub.calls("/image/upload", "POST")
        folder = f"merchants/{merchant.pk}/products/{product.pk}"
        assert call.value("asset_folder") == folder
        assert call.value("public_id").startswith(f"{folder}/thumbnail-")
        assert call.value("tags") == f"merchant:{merchant.pk}"
        url = response.json()["thumbnail_url"]
        assert url.startswith("https://res.cloudinary.com/demo-cloud/image/upload/")
        assert url.endswith(".png")
        assert len(cloudinary_stub.requests) == 1  # the URL cost no request

        image = ProductImage.objects.get(product=product)
        with django_capture_on_commit_callbacks(execute=True):
            assert owner_client.delete(thumbnail_url(product)).status_code == 204
        [destroy] = cloudinary_stub.calls("/image/destroy", "POST")
        assert destroy.value("public_id") == image.file.name.rsplit(".", 1)[0]

    def test_a_bad_file_never_reaches_cloudinary(self, owner_client, product, cloudinary_stub):
        response = owner_client.post(
            details_url(product), {"files": [upload("x.png", b"nope")]}, format="multipart"
        )
        assert response.status_code == 400
        assert cloudinary_stub.requests == []


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_never_exceed_three_detail_images(merchant):
    product = ProductFactory(merchant=merchant)

    def add(index):
        return product_detail_images_add(
            product=product, uploads=[upload(f"{index}-a.png"), upload(f"{index}-b.png")]
        )

    results = run_concurrently(add, 3)
    assert sum(isinstance(result, list) for result in results) == 1
    assert all(isinstance(r, (list, Conflict)) for r in results), results
    assert ProductImage.objects.filter(product=product).count() == 2


def test_a_polyglot_thumbnail_is_stored_without_its_foreign_bytes(owner_client, product, settings):
    from merchants.tests.test_images import PAYLOAD, jpeg_with_metadata

    polyglot = jpeg_with_metadata() + PAYLOAD
    response = owner_client.post(
        thumbnail_url(product),
        {"file": upload("p.jpg", polyglot, "image/jpeg")},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    [name] = stored_files(settings)
    stored = (Path(settings.MEDIA_ROOT) / name).read_bytes()
    assert PAYLOAD not in stored
    assert b"Exif" not in stored
    assert ProductImage.objects.get().size == len(stored)


def test_the_admin_stores_the_re_encoded_image_too(product, settings):
    from catalog.admin import ProductImageForm
    from merchants.tests.test_images import PAYLOAD

    form = ProductImageForm(
        data={"kind": ProductImage.Kind.THUMBNAIL, "sort_order": 0},
        files={"file": upload("p.png", image_bytes() + PAYLOAD)},
        instance=ProductImage(product=product),
    )
    assert form.is_valid(), form.errors
    image = form.save()
    stored = (Path(settings.MEDIA_ROOT) / image.file.name).read_bytes()
    assert PAYLOAD not in stored
    assert image.size == len(stored)
