"""One content check for every uploaded image (product photos now, kiosk photos later).

The file's bytes decide, never its name or the browser's content type: Pillow must recognise
one of the allowed formats, the header's pixel count must stay under the cap before anything is
decoded (decompression bombs), and `verify()` must pass.
"""

import warnings
from dataclasses import dataclass

from django.conf import settings
from PIL import Image, UnidentifiedImageError

from merchants.errors import DomainError

DEFAULT_FORMATS = ("JPEG", "PNG", "WEBP")


class ImageRejected(DomainError):
    code = "invalid_image"


@dataclass(frozen=True)
class ImageInfo:
    width: int
    height: int
    format: str  # Pillow's name: JPEG, PNG, WEBP
    size: int  # bytes

    @property
    def extension(self) -> str:
        return {"JPEG": "jpg"}.get(self.format, self.format.lower())


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def validate_image(
    upload,
    *,
    max_bytes: int,
    formats: tuple[str, ...] = DEFAULT_FORMATS,
    max_pixels: int | None = None,
    field: str = "file",
) -> ImageInfo:
    """Check an uploaded file by content; raise `ImageRejected` naming the file and the reason.

    `upload` is a Django `UploadedFile`/`File` (anything with `.name`, `.size` or `.seek`).
    On success the file is rewound so it can be stored as is.
    """
    name = getattr(upload, "name", None) or "upload"
    max_pixels = max_pixels if max_pixels is not None else settings.IMAGE_MAX_PIXELS

    def reject(reason: str) -> ImageRejected:
        return ImageRejected(f"{name}: {reason}", details={field: [f"{name}: {reason}"]})

    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    if size == 0:
        raise reject("the file is empty.")
    if size > max_bytes:
        raise reject(f"the file is {_megabytes(size)}; the limit is {_megabytes(max_bytes)}.")

    allowed = ", ".join(formats)
    try:
        upload.seek(0)
        with warnings.catch_warnings():
            # A bomb warning is an error here: the pixel cap below is the real limit.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload, formats=list(formats)) as image:
                width, height = image.size
                image_format = image.format
                if width * height > max_pixels:
                    raise reject(
                        f"the image is {width}x{height} pixels; at most {max_pixels:,} pixels "
                        "are accepted."
                    )
                image.verify()
            upload.seek(0)
            # verify() leaves the image unusable; reopen and decode to catch truncated data.
            with Image.open(upload, formats=list(formats)) as image:
                image.load()
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise reject(
            f"the image has too many pixels (at most {max_pixels:,} are accepted)."
        ) from None
    except UnidentifiedImageError:
        raise reject(f"this is not an image in an accepted format ({allowed}).") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise reject(f"the image data is damaged ({error}).") from None
    finally:
        upload.seek(0)

    if image_format not in formats:  # pragma: no cover - Image.open(formats=) already refuses
        raise reject(f"{image_format} is not accepted; use {allowed}.")
    return ImageInfo(width=width, height=height, format=image_format, size=size)
