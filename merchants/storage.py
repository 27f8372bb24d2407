"""Media storage over Cloudinary, and prefix deletion that works on any configured storage.

`CloudinaryStorage` is a small Django Storage over the official `cloudinary` SDK. It is used
when `CLOUDINARY_URL` is set (see `STORAGES` in settings). The storage name of a file, e.g.
`merchants/7/products/42/thumb-3f2a.jpg`, maps to the public id
`merchants/7/products/42/thumb-3f2a`, with the same folder (fixed and dynamic folder mode alike)
and a `merchant:7` tag, so an account can be cleaned by prefix, folder or tag.

URLs are built offline by the SDK; nothing here makes an HTTP call except upload and delete.
`exists()` trusts the database (it answers False) instead of asking Cloudinary every time.
"""

import logging
import posixpath
import re
import shutil
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext

from merchants.errors import GatewayError

logger = logging.getLogger(__name__)

MERCHANT_PATH = re.compile(r"^merchants/(\d+)/")


def _cloudinary():
    """Import and configure the SDK on first use, never at import time."""
    import cloudinary
    import cloudinary.api
    import cloudinary.uploader

    if getattr(_cloudinary, "configured_from", None) != settings.CLOUDINARY_URL:
        cloudinary.reset_config()
        if settings.CLOUDINARY_URL:
            # cloudinary://key:secret@cloud?upload_prefix=... (the SDK's own URL format).
            cloudinary.config()._load_from_url(settings.CLOUDINARY_URL)
        cloudinary.config(secure=True)
        _cloudinary.configured_from = settings.CLOUDINARY_URL
    return cloudinary


@deconstructible
class CloudinaryStorage(Storage):
    """Stores images on Cloudinary under their storage name (see module docstring)."""

    def __init__(self, resource_type: str = "image", timeout: int = 30, upload_options=None):
        self.resource_type = resource_type
        self.timeout = timeout
        self.upload_options = dict(upload_options or {})

    @staticmethod
    def public_id(name: str) -> str:
        return posixpath.splitext(name.replace("\\", "/"))[0]

    def upload_params(self, name: str) -> dict:
        public_id = self.public_id(name)
        folder = posixpath.dirname(public_id)
        params = {
            "public_id": public_id,
            # Fixed folder mode reads the folder from the public id; dynamic mode needs it here.
            "asset_folder": folder,
            "use_filename": False,
            "unique_filename": False,
            "overwrite": False,
            "resource_type": self.resource_type,
            "timeout": self.timeout,
            **self.upload_options,
        }
        match = MERCHANT_PATH.match(public_id)
        if match:
            params["tags"] = [f"merchant:{match.group(1)}"]
        return params

    def _save(self, name, content):
        sdk = _cloudinary()
        content.seek(0)
        try:
            result = sdk.uploader.upload(content, **self.upload_params(name))
        except Exception as error:
            logger.warning("Cloudinary upload of %s failed: %s", name, error)
            raise GatewayError(
                gettext(
                    "The image store did not accept the file; nothing was saved. Try again later."
                )
            ) from error
        extension = posixpath.splitext(name)[1]
        return f"{result.get('public_id', self.public_id(name))}{extension}"

    def _open(self, name, mode="rb"):
        raise NotImplementedError("Files on Cloudinary are served by URL, not read back.")

    def delete(self, name):
        if not name:
            return
        sdk = _cloudinary()
        try:
            result = sdk.uploader.destroy(
                self.public_id(name),
                invalidate=True,
                resource_type=self.resource_type,
                timeout=self.timeout,
            )
        except Exception as error:
            raise GatewayError(
                gettext("The image store could not delete %(name)s.") % {"name": name}
            ) from error
        if result.get("result") not in ("ok", "not found"):
            raise GatewayError(
                gettext("The image store could not delete %(name)s: %(result)s.")
                % {"name": name, "result": result}
            )

    def exists(self, name):
        # The database is the truth; probing Cloudinary per name costs an HTTP call each.
        return False

    def size(self, name):
        raise NotImplementedError("Sizes are stored on the rows that own the files.")

    def url(self, name):
        if not name:
            return ""
        return _delivery_url(
            self.public_id(name),
            resource_type=self.resource_type,
            extension=posixpath.splitext(name)[1].lstrip(".") or None,
            account=settings.CLOUDINARY_URL,
        )

    def download_url(self, name: str, filename: str = "") -> str:
        """A URL that makes browsers save the file (`fl_attachment`), optionally as `filename`
        (without extension). Browsers ignore `<a download>` on another origin, so a gallery
        needs this to offer a real download of a Cloudinary image."""
        if not name:
            return ""
        sdk = _cloudinary()
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", posixpath.splitext(filename)[0]).strip("-")
        url, _options = sdk.utils.cloudinary_url(
            self.public_id(name),
            resource_type=self.resource_type,
            format=posixpath.splitext(name)[1].lstrip(".") or None,
            secure=True,
            flags=f"attachment:{stem}" if stem else "attachment",
        )
        return url

    def delete_prefix(self, prefix: str) -> tuple[list[str], list[str]]:
        """Delete every asset whose public id starts with `prefix`, then its folder.

        Returns (deleted public ids, failed public ids). Batches repeat while Cloudinary answers
        `partial` (it handles at most 1000 assets per call).
        """
        sdk = _cloudinary()
        prefix = prefix.strip("/")
        deleted: list[str] = []
        failed: list[str] = []
        next_cursor = None
        for _ in range(1000):  # a hard stop, should the API keep answering "partial"
            options = {"invalidate": True, "resource_type": self.resource_type}
            if next_cursor:
                options["next_cursor"] = next_cursor
            try:
                answer = sdk.api.delete_resources_by_prefix(f"{prefix}/", **options)
            except Exception as error:
                raise GatewayError(
                    gettext("The image store could not delete %(prefix)s/.") % {"prefix": prefix}
                ) from error
            for public_id, state in (answer.get("deleted") or {}).items():
                (deleted if state in ("deleted", "not_found") else failed).append(public_id)
            next_cursor = answer.get("next_cursor")
            if not answer.get("partial"):
                break
        try:
            sdk.api.delete_folder(prefix)
        except Exception as error:
            # An already missing or not yet empty folder is not worth failing the cleanup for.
            logger.info("Cloudinary folder %s not deleted: %s", prefix, error)
        return deleted, failed


@lru_cache(maxsize=8192)
def _delivery_url(
    public_id: str, *, resource_type: str, extension: str | None, account: str
) -> str:
    """The delivery URL of an asset, built by the SDK from its name and the account alone.

    Building one takes the SDK about 40 µs and a page of 100 products asks for one per image,
    while the same name always gives the same URL (stored names are never reused: they carry a
    random part), so each is built once per process. `account`, the configured
    CLOUDINARY_URL, is part of the key: another account or option builds its own.
    """
    sdk = _cloudinary()
    url, _options = sdk.utils.cloudinary_url(
        public_id, resource_type=resource_type, format=extension, secure=True
    )
    return url


def storage_delete_prefix(storage: Storage, prefix: str) -> tuple[list[str], list[str]]:
    """Delete everything stored under `prefix` on any storage: (deleted names, failed names)."""
    prefix = prefix.strip("/")
    if not prefix or ".." in prefix.split("/"):
        raise ValueError(f"Refusing to delete the unsafe prefix {prefix!r}.")
    if hasattr(storage, "delete_prefix"):
        return storage.delete_prefix(prefix)
    if isinstance(storage, FileSystemStorage):
        root = Path(storage.path(prefix))
        if not root.exists():
            return [], []
        names = [
            str(path.relative_to(storage.location)).replace("\\", "/")
            for path in sorted(root.rglob("*"))
            if path.is_file()
        ]
        try:
            shutil.rmtree(root)
        except OSError:
            logger.exception("Could not delete %s", root)
            return [], names
        return names, []
    # Anything else Django offers (S3 and friends): walk the listing.
    deleted, failed = [], []

    def walk(path: str) -> None:
        directories, files = storage.listdir(path)
        for name in files:
            full = f"{path}/{name}"
            try:
                storage.delete(full)
                deleted.append(full)
            except Exception:
                logger.exception("Could not delete %s", full)
                failed.append(full)
        for directory in directories:
            walk(f"{path}/{directory}")

    walk(prefix)
    return deleted, failed
