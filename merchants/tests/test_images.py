import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from merchants.images import ImageRejected, validate_image
from merchants.tests.imagedata import image_bytes, png_bomb, upload

MB = 1024 * 1024


@pytest.mark.parametrize(("fmt", "expected"), [("PNG", "PNG"), ("JPEG", "JPEG"), ("WEBP", "WEBP")])
def test_accepts_allowed_formats_and_rewinds(fmt, expected):
    file = upload("any-name.bin", image_bytes(fmt, (50, 20)))
    info = validate_image(file, max_bytes=MB)
    assert (info.width, info.height, info.format) == (50, 20, expected)
    assert info.size == file.size
    assert file.tell() == 0


def test_renamed_non_image_is_refused_by_content():
    file = SimpleUploadedFile("menu.png", b"%PDF-1.7 not an image at all", "image/png")
    with pytest.raises(ImageRejected) as error:
        validate_image(file, max_bytes=MB)
    assert "menu.png" in error.value.message
    assert "not an image" in error.value.message


def test_format_outside_the_allow_list_is_refused():
    file = upload("photo.gif", image_bytes("GIF"), "image/gif")
    with pytest.raises(ImageRejected, match=r"photo\.gif: this is not an image in an accepted"):
        validate_image(file, max_bytes=MB)


def test_oversize_file_names_the_limit():
    file = upload("big.png", image_bytes("PNG") + b"\0" * (2 * MB))
    with pytest.raises(ImageRejected, match=r"big\.png: the file is 2\.0 MB; the limit is 1\.0 MB"):
        validate_image(file, max_bytes=MB)


def test_pixel_cap_applies_before_decoding(settings):
    settings.IMAGE_MAX_PIXELS = 1000
    with pytest.raises(ImageRejected, match=r"40x30 pixels; at most 1,000"):
        validate_image(upload("wide.png"), max_bytes=MB)


def test_decompression_bomb_is_refused():
    file = upload("bomb.png", png_bomb())
    assert file.size < 2000
    with pytest.raises(ImageRejected, match=r"bomb\.png: .*(too many pixels|pixels; at most)"):
        validate_image(file, max_bytes=MB)


def test_truncated_image_is_refused():
    data = image_bytes("JPEG", (200, 200))
    with pytest.raises(ImageRejected, match=r"cut\.jpg: the image data is damaged"):
        validate_image(upload("cut.jpg", data[: len(data) // 2]), max_bytes=MB)


def test_empty_file_is_refused():
    with pytest.raises(ImageRejected, match="empty"):
        validate_image(upload("empty.png", b""), max_bytes=MB)


def test_plain_file_objects_work_too():
    stream = io.BytesIO(image_bytes("PNG"))
    stream.name = "stream.png"
    assert validate_image(stream, max_bytes=MB).format == "PNG"
