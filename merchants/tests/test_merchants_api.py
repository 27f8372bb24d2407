import pytest

from merchants.models import Merchant
from merchants.tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/merchants"


def detail(merchant):
    return f"{URL}/{merchant.pk}"


def test_operator_has_full_crud(client_for, operator, merchant):
    client = client_for(operator)
    response = client.post(
        URL, {"name": "Toko Baru", "slug": "toko-baru", "business_type": "retail"}, format="json"
    )
    assert response.status_code == 201, response.content
    created = Merchant.objects.get(slug="toko-baru")
    assert created.currency == "IDR"
    assert created.time_zone == "Asia/Jakarta"
    assert client.get(URL).json()["count"] == 2
    assert client.delete(detail(created)).status_code == 204


def test_owner_reads_and_updates_only_own(owner_client, merchant, other_merchant):
    rows = owner_client.get(URL).json()["results"]
    assert [row["slug"] for row in rows] == [merchant.slug]
    assert rows[0]["role"] == "owner"
    assert owner_client.get(detail(other_merchant)).status_code == 404
    response = owner_client.patch(detail(merchant), {"pos_mode": "hybrid"}, format="json")
    assert response.status_code == 200
    merchant.refresh_from_db()
    assert merchant.pos_mode == "hybrid"


def test_owner_cannot_create_delete_or_rename_slug(owner_client, merchant):
    assert owner_client.post(URL, {"name": "X", "slug": "x"}, format="json").status_code == 403
    assert owner_client.delete(detail(merchant)).status_code == 403
    owner_client.patch(detail(merchant), {"slug": "hijack", "is_active": False}, format="json")
    merchant.refresh_from_db()
    assert merchant.slug == "kopi-test"
    assert merchant.is_active


def test_officer_reads_own_only(officer_client, merchant):
    assert officer_client.get(detail(merchant)).json()["role"] == "officer"
    response = officer_client.patch(detail(merchant), {"name": "Renamed"}, format="json")
    assert response.status_code == 403


def test_anonymous_is_401(api_client, merchant):
    assert api_client.get(URL).status_code == 401


def test_server_key_is_encrypted_and_never_returned(owner_client, merchant):
    secret = "SB-Mid-server-TEST123"
    response = owner_client.patch(detail(merchant), {"midtrans_server_key": secret}, format="json")
    assert response.status_code == 200
    assert secret not in response.content.decode()
    assert response.json()["has_midtrans_server_key"] is True
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT midtrans_server_key FROM merchants_merchant WHERE id = %s", [merchant.pk]
        )
        raw = cursor.fetchone()[0]
    assert raw
    assert secret not in raw
    merchant.refresh_from_db()
    assert merchant.midtrans_server_key == secret
    # A blank value keeps the stored key.
    owner_client.patch(detail(merchant), {"midtrans_server_key": ""}, format="json")
    merchant.refresh_from_db()
    assert merchant.midtrans_server_key == secret


def test_bad_time_zone_and_currency_are_400(owner_client, merchant):
    response = owner_client.patch(detail(merchant), {"time_zone": "Mars/Base"}, format="json")
    assert response.status_code == 400
    assert "time zone" in response.json()["error"]["message"]
    response = owner_client.patch(detail(merchant), {"currency": "RP"}, format="json")
    assert response.status_code == 400


def test_list_filters_and_search(client_for, operator):
    MerchantFactory(name="Warung A", business_type="fnb")
    MerchantFactory(name="Toko B", business_type="retail")
    client = client_for(operator)
    assert client.get(URL, {"business_type": "retail"}).json()["count"] == 1
    assert client.get(URL, {"search": "warung"}).json()["count"] == 1


@pytest.mark.parametrize("code", ["XYZ", "GBP", "IDRX"])
def test_an_unsupported_currency_is_400_naming_the_supported_ones(owner_client, merchant, code):
    response = owner_client.patch(detail(merchant), {"currency": code}, format="json")
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert f"{code} is not a currency this product supports" in message
    assert "IDR" in message
    merchant.refresh_from_db()
    assert merchant.currency == "IDR"


def test_a_supported_currency_in_any_case_is_stored_in_capitals(owner_client, merchant):
    response = owner_client.patch(detail(merchant), {"currency": "jpy"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["currency"] == "JPY"
    merchant.refresh_from_db()
    assert merchant.currency == "JPY"
    assert merchant.currency_decimals == 0


def test_the_admin_offers_only_supported_currencies(client, owner, merchant):
    from django.urls import reverse

    client.force_login(owner)
    url = reverse("admin:merchants_merchant_change", args=[merchant.pk])
    form = client.get(url).context["adminform"].form
    assert next(iter(form.fields["currency"].choices))[0] == "IDR"
    fields = {
        "name": merchant.name,
        "business_type": merchant.business_type,
        "pos_mode": merchant.pos_mode,
        "time_zone": merchant.time_zone,
        "qris_gateway": merchant.qris_gateway,
    }
    response = client.post(url, {**fields, "currency": "XYZ"})
    assert response.status_code == 200  # the form again, with the error
    assert "XYZ is not one of the available choices" in response.content.decode()
    merchant.refresh_from_db()
    assert merchant.currency == "IDR"
    response = client.post(url, {**fields, "currency": "SGD"})
    assert response.status_code == 302
    merchant.refresh_from_db()
    assert merchant.currency == "SGD"


def test_owners_set_how_the_shop_sells(owner_client, officer_client, merchant):
    url = f"/api/v1/merchants/{merchant.pk}"
    body = {
        "prices_include_tax": True,
        "default_tax_percent": "11",
        "default_service_charge_percent": "5",
        "officer_max_discount_percent": "10",
        "complete_when_paid": True,
    }
    response = owner_client.patch(url, body, format="json")
    assert response.status_code == 200, response.content
    shown = officer_client.get(url).json()
    assert {name: shown[name] for name in body} == {
        "prices_include_tax": True,
        "default_tax_percent": "11.00",
        "default_service_charge_percent": "5.00",
        "officer_max_discount_percent": "10.00",
        "complete_when_paid": True,
    }
    for name in ("default_tax_percent", "officer_max_discount_percent"):
        response = owner_client.patch(url, {name: "101"}, format="json")
        assert response.status_code == 400
        assert name in response.json()["error"]["details"]
    assert (
        officer_client.patch(url, {"complete_when_paid": False}, format="json").status_code == 403
    )


def test_owners_set_the_sales_settings_in_the_admin(client, owner, merchant):
    from django.urls import reverse

    client.force_login(owner)
    url = reverse("admin:merchants_merchant_change", args=[merchant.pk])
    fields = {
        "name": merchant.name,
        "business_type": merchant.business_type,
        "pos_mode": merchant.pos_mode,
        "time_zone": merchant.time_zone,
        "qris_gateway": merchant.qris_gateway,
        "currency": "IDR",
        "prices_include_tax": "on",
        "officer_max_discount_percent": "150",
    }
    response = client.post(url, fields)
    assert response.status_code == 200  # the form again, with the error
    assert "Ensure this value is less than or equal to 100" in response.content.decode()
    response = client.post(url, {**fields, "officer_max_discount_percent": "15"})
    assert response.status_code == 302
    merchant.refresh_from_db()
    assert merchant.prices_include_tax is True
    assert merchant.officer_max_discount_percent == 15
