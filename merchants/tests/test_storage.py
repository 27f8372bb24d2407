"""CloudinaryStorage runs the real SDK against a local HTTP stub (never the network)."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage, storages

from merchants.errors import GatewayError
from merchants.storage import CloudinaryStorage, storage_delete_prefix
from merchants.tests.cloudinary_stub import CLOUD
from merchants.tests.imagedata import image_bytes


def test_default_storage_is_cloudinary_when_configured(cloudinary_stub):
    assert isinstance(storages["default"], CloudinaryStorage)
    assert default_storage.url("merchants/1/a.png").startswith("https://res.cloudinary.com/")


def test_upload_carries_public_id_folder_and_merchant_tag(cloudinary_stub):
    storage = CloudinaryStorage()
    name = storage.save("merchants/7/products/42/thumbnail-ab12.png", ContentFile(image_bytes()))
    assert name == "merchants/7/products/42/thumbnail-ab12.png"
    [call] = cloudinary_stub.calls("/image/upload", "POST")
    assert call.path == f"/v1_1/{CLOUD}/image/upload"
    assert call.value("public_id") == "merchants/7/products/42/thumbnail-ab12"
    assert call.value("asset_folder") == "merchants/7/products/42"
    assert call.value("tags") == "merchant:7"
    assert call.value("overwrite") in ("0", "false")
    assert call.value("use_filename") in ("0", "false")
    assert call.value("api_key") == "key123"
    assert call.value("signature")  # a signed request, the secret itself is never sent
    assert "secret456" not in str(call.fields)
    assert call.files["file"].startswith(b"\x89PNG")


def test_names_outside_a_merchant_get_no_tag(cloudinary_stub):
    CloudinaryStorage().save("photobox/TRX-1/photo.png", ContentFile(image_bytes()))
    [call] = cloudinary_stub.calls("/image/upload")
    assert call.value("tags") is None
    assert call.value("asset_folder") == "photobox/TRX-1"


def test_url_is_built_offline(cloudinary_stub):
    url = CloudinaryStorage().url("merchants/7/products/42/thumbnail-ab12.png")
    assert url == (
        f"https://res.cloudinary.com/{CLOUD}/image/upload/v1/"
        "merchants/7/products/42/thumbnail-ab12.png"
    )
    assert cloudinary_stub.requests == []
    assert CloudinaryStorage().exists("anything") is False
    assert cloudinary_stub.requests == []


def test_each_url_is_built_once_per_account(cloudinary_stub, settings, monkeypatch):
    import cloudinary.utils

    built = []
    real = cloudinary.utils.cloudinary_url

    def counting(public_id, **options):
        built.append(public_id)
        return real(public_id, **options)

    monkeypatch.setattr(cloudinary.utils, "cloudinary_url", counting)
    name = "merchants/7/products/42/thumbnail-once.png"
    urls = {CloudinaryStorage().url(name) for _ in range(3)}
    assert urls == {f"https://res.cloudinary.com/{CLOUD}/image/upload/v1/{name}"}
    assert built == ["merchants/7/products/42/thumbnail-once"]
    settings.CLOUDINARY_URL = "cloudinary://key123:secret456@another-cloud"
    assert CloudinaryStorage().url(name).startswith("https://res.cloudinary.com/another-cloud/")
    assert len(built) == 2


def test_delete_destroys_with_invalidation(cloudinary_stub):
    CloudinaryStorage().delete("merchants/7/products/42/detail-1.jpg")
    [call] = cloudinary_stub.calls("/image/destroy", "POST")
    assert call.value("public_id") == "merchants/7/products/42/detail-1"
    assert call.value("invalidate") in ("1", "true")


def test_upload_failure_is_a_gateway_error(cloudinary_stub, settings):
    settings.CLOUDINARY_URL = (
        "cloudinary://key123:secret456@demo-cloud?upload_prefix=http://127.0.0.1:9"
    )
    with pytest.raises(GatewayError, match="nothing was saved"):
        CloudinaryStorage(timeout=2).save("merchants/1/x.png", ContentFile(image_bytes()))


def test_delete_prefix_repeats_while_partial_then_removes_the_folder(cloudinary_stub):
    cloudinary_stub.prefix_answers = [
        {"deleted": {"photobox/TRX-1/a": "deleted"}, "partial": True, "next_cursor": "c1"},
        {"deleted": {"photobox/TRX-1/b": "deleted", "photobox/TRX-1/c": "failed"}},
    ]
    deleted, failed = storage_delete_prefix(CloudinaryStorage(), "photobox/TRX-1/")
    assert deleted == ["photobox/TRX-1/a", "photobox/TRX-1/b"]
    assert failed == ["photobox/TRX-1/c"]
    first, second = cloudinary_stub.calls("/resources/image/upload", "DELETE")
    assert first.value("prefix") == "photobox/TRX-1/"
    assert second.value("next_cursor") == "c1"
    [folder] = cloudinary_stub.calls("/folders/photobox/TRX-1", "DELETE")
    assert folder


def test_delete_prefix_on_local_files(tmp_path):
    storage = FileSystemStorage(location=tmp_path)
    storage.save("photobox/TRX-1/a.png", ContentFile(b"a"))
    storage.save("photobox/TRX-1/sub/b.png", ContentFile(b"b"))
    storage.save("photobox/TRX-2/c.png", ContentFile(b"c"))
    deleted, failed = storage_delete_prefix(storage, "photobox/TRX-1")
    assert sorted(deleted) == ["photobox/TRX-1/a.png", "photobox/TRX-1/sub/b.png"]
    assert failed == []
    assert not (tmp_path / "photobox/TRX-1").exists()
    assert storage.exists("photobox/TRX-2/c.png")
    assert storage_delete_prefix(storage, "photobox/none") == ([], [])


@pytest.mark.parametrize("prefix", ["", "/", "photobox/../merchants"])
def test_delete_prefix_refuses_unsafe_prefixes(prefix, tmp_path):
    with pytest.raises(ValueError, match="unsafe"):
        storage_delete_prefix(FileSystemStorage(location=tmp_path), prefix)


def test_delete_prefix_on_other_storages_walks_the_listing():
    from django.core.files.storage import InMemoryStorage

    storage = InMemoryStorage()
    storage.save("merchants/1/products/2/a.png", ContentFile(b"a"))
    storage.save("merchants/1/products/2/sub/b.png", ContentFile(b"b"))
    storage.save("merchants/1/products/3/c.png", ContentFile(b"c"))
    deleted, failed = storage_delete_prefix(storage, "merchants/1/products/2")
    assert sorted(deleted) == [
        "merchants/1/products/2/a.png",
        "merchants/1/products/2/sub/b.png",
    ]
    assert failed == []
    assert storage.exists("merchants/1/products/3/c.png")


@pytest.mark.parametrize(
    ("env", "backend"),
    [
        ({}, "django.core.files.storage.FileSystemStorage"),
        ({"CLOUDINARY_URL": "cloudinary://k:s@cloud"}, "merchants.storage.CloudinaryStorage"),
        (
            {"AWS_STORAGE_BUCKET_NAME": "media", "AWS_S3_ENDPOINT_URL": "http://minio:9000"},
            "storages.backends.s3.S3Storage",
        ),
    ],
)
def test_settings_choose_the_media_storage_from_the_environment(env, backend):
    import os
    import subprocess
    import sys

    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CLOUDINARY", "AWS_"))
    }
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; "
        "django.setup(); from django.conf import settings; "
        "from django.core.files.storage import storages; "
        "print(settings.STORAGES['default']['BACKEND']); "
        "print(type(storages['default']).__module__)"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", code],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    )
    chosen, module = result.stdout.split()
    assert chosen == backend
    assert module.startswith(backend.rsplit(".", 1)[0])


def test_download_url_asks_for_an_attachment_offline(cloudinary_stub):
    storage = CloudinaryStorage()
    url = storage.download_url("photobox/TRX-1/01-ab.jpg", "TRX-1 photo 01.jpg")
    assert url == (
        f"https://res.cloudinary.com/{CLOUD}/image/upload/fl_attachment:TRX-1-photo-01/v1/"
        "photobox/TRX-1/01-ab.jpg"
    )
    assert storage.download_url("photobox/TRX-1/01-ab.jpg").split("/")[6] == "fl_attachment"
    assert cloudinary_stub.requests == []
