"""The merchant's QRIS gateway choice and Xendit key: write-only in the API and the admin."""

import pytest
from django.urls import reverse

from merchants.admin import MerchantAdminForm
from merchants.models import Merchant

pytestmark = pytest.mark.django_db


def test_api_never_returns_the_xendit_key(owner_client, merchant):
    url = f"/api/v1/merchants/{merchant.pk}"
    response = owner_client.patch(
        url,
        {"qris_gateway": "xendit", "xendit_secret_key": "xnd_development_SECRET"},
        format="json",
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert "xendit_secret_key" not in data
    assert data["has_xendit_secret_key"] is True
    assert data["qris_gateway"] == "xendit"
    merchant.refresh_from_db()
    assert merchant.xendit_secret_key == "xnd_development_SECRET"
    assert "SECRET" not in owner_client.get(url).content.decode()

    # Blank keeps the stored key; a bad gateway name is a 400.
    owner_client.patch(url, {"xendit_secret_key": ""}, format="json")
    merchant.refresh_from_db()
    assert merchant.xendit_secret_key == "xnd_development_SECRET"
    assert owner_client.patch(url, {"qris_gateway": "paypal"}, format="json").status_code == 400


def test_key_is_encrypted_at_rest(merchant):
    merchant.xendit_secret_key = "xnd_development_SECRET"
    merchant.save()
    stored = Merchant.objects.filter(pk=merchant.pk).values_list("xendit_secret_key", flat=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT xendit_secret_key FROM merchants_merchant WHERE id = %s", [merchant.pk]
        )
        raw = cursor.fetchone()[0]
    assert "SECRET" not in raw
    assert list(stored) == ["xnd_development_SECRET"]


def test_admin_form_keeps_secrets_when_left_blank(merchant):
    merchant.midtrans_server_key = "SB-Mid-server-KEEP"
    merchant.xendit_secret_key = "xnd_KEEP"
    merchant.save()
    data = {
        "name": merchant.name,
        "slug": merchant.slug,
        "business_type": merchant.business_type,
        "pos_mode": merchant.pos_mode,
        "is_active": True,
        "currency": "IDR",
        "time_zone": "Asia/Jakarta",
        "midtrans_client_key": "",
        "midtrans_server_key": "",
        "qris_gateway": "xendit",
        "xendit_secret_key": "",
    }
    form = MerchantAdminForm(data=data, instance=merchant)
    assert form.is_valid(), form.errors
    form.save()
    merchant.refresh_from_db()
    assert (merchant.midtrans_server_key, merchant.xendit_secret_key) == (
        "SB-Mid-server-KEEP",
        "xnd_KEEP",
    )
    assert merchant.qris_gateway == "xendit"

    form = MerchantAdminForm(data={**data, "xendit_secret_key": "xnd_NEW"}, instance=merchant)
    assert form.is_valid(), form.errors
    form.save()
    merchant.refresh_from_db()
    assert merchant.xendit_secret_key == "xnd_NEW"


def test_admin_page_renders_password_inputs_without_values(client, owner, merchant):
    merchant.xendit_secret_key = "xnd_development_SECRET"
    merchant.save()
    client.force_login(owner)
    page = client.get(reverse("admin:merchants_merchant_change", args=[merchant.pk]))
    assert page.status_code == 200
    assert 'type="password" name="xendit_secret_key"' in page.text
    assert "xnd_development_SECRET" not in page.text
