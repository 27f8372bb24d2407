"""One content check for every uploaded image (product photos, kiosk photos).

The file's bytes decide, never its name or the browser's content type: Pillow must recognise
one of the allowed formats, the header's pixel count must stay under the cap before anything is
decoded (decompression bombs), and `verify()` must pass.

What is stored is never the uploaded file itself but the decoded pixels saved again by Pillow
(`ImageInfo.file`): metadata (EXIF with its GPS position, comments, ICC and XMP blocks) and
anything after the image's end are gone, so a polyglot (an image that is also a script or an
archive) keeps no foreign bytes. The EXIF orientation is applied to the pixels first.
"""

import io
import warnings
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from merchants.errors import DomainError

DEFAULT_FORMATS = ("JPEG", "PNG", "WEBP")
EXIF_ORIENTATION = 0x0112


class ImageRejected(DomainError):
    code = "invalid_image"


@dataclass(frozen=True)
class ImageInfo:
    width: int
    height: int
    format: str  # Pillow's name: JPEG, PNG, WEBP
    size: int  # bytes, as uploaded
    # The image re-encoded by Pillow: what to store (never the upload itself).
    file: ContentFile | None = field(default=None, compare=False, repr=False)

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
    On success the answer's `file` holds the image re-encoded by Pillow, which is what to
    store (see the module docstring); the upload is rewound.
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
            # verify() leaves the image unusable; reopen and decode (which also catches
            # truncated data), then save the pixels alone.
            with Image.open(upload, formats=list(formats)) as image:
                image.load()
                clean, (width, height) = _reencoded(image, image_format)
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
    clean.name = f"image.{ImageInfo(0, 0, image_format, 0).extension}"
    return ImageInfo(width=width, height=height, format=image_format, size=size, file=clean)


def _reencoded(image: Image.Image, image_format: str) -> tuple[ContentFile, tuple[int, int]]:
    """The pixels of `image` saved anew in its format, with no metadata and nothing after,
    and their (upright) width and height."""
    rotated = image.getexif().get(EXIF_ORIENTATION, 1) not in (1, None)
    upright = ImageOps.exif_transpose(image) if rotated else image
    # Pillow carries some metadata over from `info` (a JPEG comment, a PNG's ICC profile):
    # keep only what the pixels need.
    upright.info = {k: v for k, v in upright.info.items() if k == "transparency"}
    options: dict = {}
    if image_format == "JPEG":
        # The original's quantisation tables when the pixels are unchanged: no visible loss.
        options = {"quality": 92} if rotated else {"quality": "keep"}
        if upright.mode not in ("RGB", "L", "CMYK"):
            upright, options = upright.convert("RGB"), {"quality": 92}
    elif image_format == "WEBP":
        options = {"quality": 90}
    out = io.BytesIO()
    upright.save(out, format=image_format, **options)
    return ContentFile(out.getvalue()), upright.size
