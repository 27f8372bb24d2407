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


# --- re-encoding: what is stored keeps no foreign bytes -------------------------------------

PAYLOAD = b"<?php system($_GET['c']); ?><script>alert(1)</script>PK\x03\x04"


def jpeg_with_metadata(size=(60, 40), orientation: int | None = None) -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x010E] = "holiday " + PAYLOAD.decode("latin-1")  # ImageDescription
    exif[0x8825] = {1: "S", 2: (6.0, 10.0, 0.0)}  # a GPS position
    if orientation:
        exif[0x0112] = orientation
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(
        buffer, "JPEG", exif=exif, comment=PAYLOAD, icc_profile=b"\x00" * 128 + PAYLOAD
    )
    return buffer.getvalue()


def png_with_metadata() -> bytes:
    from PIL import Image, PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", PAYLOAD.decode("latin-1"))
    buffer = io.BytesIO()
    Image.new("RGBA", (30, 30), (255, 0, 0, 128)).save(buffer, "PNG", pnginfo=text)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [jpeg_with_metadata(), png_with_metadata(), image_bytes("WEBP")],
    ids=["jpeg", "png", "webp"],
)
def test_polyglots_keep_no_foreign_bytes(data):
    polyglot = data + PAYLOAD  # an image that is also a script and the start of a zip
    info = validate_image(upload("p.bin", polyglot), max_bytes=MB)
    stored = info.file.read()
    assert PAYLOAD not in stored
    assert b"<?php" not in stored
    assert b"Exif" not in stored
    from PIL import Image

    with Image.open(io.BytesIO(stored)) as image:
        image.load()
        assert image.format == info.format
        assert image.size == (info.width, info.height)
        assert not {"exif", "comment", "icc_profile", "Comment", "xmp"} & set(image.info)


def test_transparency_survives_re_encoding():
    from PIL import Image

    info = validate_image(upload("t.png", png_with_metadata()), max_bytes=MB)
    with Image.open(info.file) as image:
        assert image.mode == "RGBA"
        assert image.getpixel((0, 0)) == (255, 0, 0, 128)


def test_the_exif_orientation_is_applied_to_the_pixels():
    info = validate_image(
        upload("portrait.jpg", jpeg_with_metadata((60, 40), orientation=6)), max_bytes=MB
    )
    assert (info.width, info.height) == (40, 60)
    from PIL import Image

    with Image.open(info.file) as image:
        assert image.size == (40, 60)
        assert 0x0112 not in image.getexif()
