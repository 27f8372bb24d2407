"""An owner adds a product with a photo in the admin and sees it, thumbnail and all, listed."""

import io

from PIL import Image
from playwright.sync_api import expect

from catalog.models import Product, ProductImage
from e2e.conftest import admin_login


def png_bytes(size=(64, 48), colour=(200, 120, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_owner_creates_a_product_with_a_thumbnail(page, demo):
    admin_login(page, "owner")
    page.goto("/admin/catalog/product/add/")
    page.fill("#id_name", "Es Kopi Pandan")
    page.fill("#id_base_price", "23000")
    page.fill("#id_sku", "KK-PANDAN")
    # The images inline starts empty: add one row and attach a real PNG; its kind is left on
    # "Automatic", so the first image of the product becomes its thumbnail on the first save.
    expect(page.locator("#id_merchant")).to_be_disabled()  # their only shop, preselected
    page.get_by_text("Add another Product image").click()
    expect(page.locator("#id_images-0-kind")).to_have_value("")
    page.set_input_files(
        "#id_images-0-file",
        files=[{"name": "pandan.png", "mimeType": "image/png", "buffer": png_bytes()}],
    )
    page.click("input[name=_save]")

    expect(page.locator("ul.messagelist")).to_contain_text("was added successfully")
    row = page.locator("#result_list tbody tr", has_text="Es Kopi Pandan")
    expect(row).to_have_count(1)
    thumbnail = row.locator(".field-thumbnail img")
    expect(thumbnail).to_have_count(1)
    # The browser really loaded the stored file (not a broken image).
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )
    assert thumbnail.evaluate("img => img.naturalWidth") == 64

    product = Product.objects.get(sku="KK-PANDAN")
    assert product.merchant.slug == "kopi-kita"
    image = product.images.get()
    assert image.kind == ProductImage.Kind.THUMBNAIL
    assert (image.width, image.height) == (64, 48)
    assert image.file.name.endswith(".png")
