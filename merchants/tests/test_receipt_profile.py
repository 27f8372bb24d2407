"""The shop's profile printed on receipts: set by owners in the API and the admin (the logo
stored as Pillow re-encoded it), the NPWP checked."""

import pytest
from django.urls import reverse
from PIL import Image

from merchants.tests.imagedata import image_bytes, upload

pytestmark = pytest.mark.django_db
PROFILE = {
    "address": "Jl. Kemang Raya No. 12\nJakarta Selatan",
    "phone": "021-555-0101",
    "tax_id": "01.234.567.8-901.000",
    "receipt_footer": "Terima kasih!",
}


def _settings_as_they_are(merchant) -> dict:
    """The required fields of the merchant's admin form, unchanged."""
    return {
        "name": merchant.name,
        "business_type": merchant.business_type,
        "pos_mode": merchant.pos_mode,
        "time_zone": merchant.time_zone,
        "qris_gateway": merchant.qris_gateway,
        "currency": merchant.currency,
    }


def test_owners_set_the_receipt_profile_in_the_api(owner_client, officer_client, merchant):
    url = f"/api/v1/merchants/{merchant.pk}"
    response = owner_client.patch(url, PROFILE, format="json")
    assert response.status_code == 200, response.content
    shown = officer_client.get(url).json()
    assert {name: shown[name] for name in PROFILE} == PROFILE
    assert shown["logo"] is None


def test_a_wrong_npwp_is_a_400_saying_what_it_looks_like(owner_client, merchant):
    response = owner_client.patch(
        f"/api/v1/merchants/{merchant.pk}", {"tax_id": "12-34"}, format="json"
    )
    assert response.status_code == 400
    assert "15 or 16 digits" in response.content.decode()


def test_owners_set_the_profile_and_logo_in_the_admin(client, owner, merchant, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(owner)
    url = reverse("admin:merchants_merchant_change", args=[merchant.pk])
    page = client.get(url).content.decode()
    assert "Receipt and profile" in page
    fields = {
        **_settings_as_they_are(merchant),
        **PROFILE,
        "logo": upload("logo.jpg", image_bytes("JPEG"), "image/jpeg"),
    }
    response = client.post(url, fields)
    assert response.status_code == 302, response.content.decode()[:2000]
    merchant.refresh_from_db()
    assert merchant.tax_id == PROFILE["tax_id"]
    with Image.open(merchant.logo.path) as logo:
        assert logo.size == (40, 30)
        assert "exif" not in logo.info


def test_a_file_that_is_no_image_is_refused_as_a_logo(client, owner, merchant):
    client.force_login(owner)
    url = reverse("admin:merchants_merchant_change", args=[merchant.pk])
    fields = {
        **_settings_as_they_are(merchant),
        "logo": upload("logo.png", b"not an image at all", "image/png"),
    }
    response = client.post(url, fields)
    assert response.status_code == 200
    merchant.refresh_from_db()
    assert not merchant.logo
