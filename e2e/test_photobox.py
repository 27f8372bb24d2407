from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from e2e.conftest import admin_login
from photobox.models import PhotoSession


def demo_gallery() -> PhotoSession:
    return PhotoSession.objects.get(external_id__endswith="-de000001")


def test_customer_opens_the_gallery_on_a_phone(page, demo):
    session = demo_gallery()
    page.set_viewport_size({"width": 390, "height": 844})
    response = page.goto(f"/gallery/{session.gallery_token}/")
    assert response.status == 200
    assert response.headers["referrer-policy"] == "no-referrer"
    # In the merchant's language (the demo shop's is Indonesian), whatever the browser asks.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Foto Anda dari Foto Ceria")
    gallery = page.get_by_test_id("gallery")
    expect(gallery.locator("img")).to_have_count(4)
    downloads = gallery.get_by_role("link", name="Unduh")
    expect(downloads).to_have_count(4)
    expect(downloads.first).to_have_attribute("download", f"{session.external_id}-01.jpg")
    # One column on a phone: the photos stack, each as wide as the screen allows.
    first, second = gallery.locator("img").nth(0), gallery.locator("img").nth(1)
    assert first.bounding_box()["y"] < second.bounding_box()["y"]
    assert first.bounding_box()["width"] > 300


def test_an_expired_gallery_is_gone(page, demo):
    session = demo_gallery()
    PhotoSession.objects.filter(pk=session.pk).update(
        photos_expire_at=timezone.now() - timedelta(minutes=1)
    )
    response = page.goto(f"/gallery/{session.gallery_token}/")
    assert response.status == 410
    # In the shop's language (the demo's is Indonesian), whatever the browser's.
    expect(page.get_by_test_id("gallery-gone")).to_contain_text("Foto-foto ini tidak tersedia")


def test_owner_rotates_a_kiosk_key_and_sees_it_once(page, demo):
    admin_login(page, "owner2")
    page.goto("/admin/photobox/kiosklocation/")
    page.locator("input[name=_selected_action]").first.check()
    page.select_option("select[name=action]", "rotate_keys")
    page.click("button[name=index]")
    page.click("input[type=submit][value='Yes, rotate the keys']")
    key = page.get_by_test_id("kiosk-key")
    expect(key).to_have_count(1)
    assert key.inner_text().startswith("pbk_")
    page.goto("/admin/photobox/kiosklocation/")
    expect(page.get_by_test_id("kiosk-key")).to_have_count(0)
