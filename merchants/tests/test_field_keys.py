"""Key rotation never erases payment keys: unreadable secrets fail loudly and are kept."""

import logging

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection

from merchants.admin import MerchantAdminForm
from merchants.crypto import SecretUnreadable, derived_key
from merchants.models import Merchant

pytestmark = pytest.mark.django_db
OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def raw_column(merchant, column="midtrans_server_key") -> str:
    with connection.cursor() as cursor:
        sql = f"SELECT {column} FROM merchants_merchant WHERE id = %s"  # noqa: S608
        cursor.execute(sql, [merchant.pk])
        return cursor.fetchone()[0]


@pytest.fixture
def keyed(merchant, settings):
    """The merchant's Midtrans key written with OLD; then OLD is no longer configured."""
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    merchant.midtrans_server_key = "SB-Mid-server-KEEP"
    merchant.save()
    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    return Merchant.objects.get(pk=merchant.pk)


def test_an_unreadable_secret_raises_a_clear_error_and_logs(keyed, caplog):
    with (
        caplog.at_level(logging.ERROR, logger="merchants.crypto"),
        pytest.raises(SecretUnreadable) as error,
    ):
        _ = keyed.midtrans_server_key
    assert "cannot be decrypted with the configured FIELD_ENCRYPTION_KEYS" in error.value.message
    assert f"merchant {keyed.pk}" in error.value.message
    assert "midtrans_server_key" in caplog.text
    # Never "not configured": the key is there, only unreadable.
    assert keyed.has_midtrans_server_key is True


def test_saving_the_merchant_keeps_the_unreadable_secret(keyed, settings):
    stored = raw_column(keyed)
    keyed.name = "Renamed"
    keyed.save()
    assert raw_column(keyed) == stored
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    assert Merchant.objects.get(pk=keyed.pk).midtrans_server_key == "SB-Mid-server-KEEP"


def test_the_admin_form_round_trip_keeps_it(keyed, settings):
    stored = raw_column(keyed)
    data = {
        "name": keyed.name,
        "slug": keyed.slug,
        "business_type": keyed.business_type,
        "pos_mode": keyed.pos_mode,
        "is_active": True,
        "currency": "IDR",
        "time_zone": "Asia/Jakarta",
        "qris_gateway": "midtrans",
        "midtrans_server_key": "",
        "xendit_secret_key": "",
    }
    form = MerchantAdminForm(data=data, instance=keyed)
    assert form.is_valid(), form.errors
    form.save()
    assert raw_column(keyed) == stored


def test_the_api_round_trip_keeps_it_and_still_lists_the_merchant(keyed, owner_client):
    stored = raw_column(keyed)
    url = f"/api/v1/merchants/{keyed.pk}"
    response = owner_client.patch(url, {"name": "Kopi Renamed"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["has_midtrans_server_key"] is True
    assert raw_column(keyed) == stored


def test_the_gateway_refuses_an_unreadable_key_clearly(keyed):
    from payments.gateways.midtrans import MidtransGateway

    with pytest.raises(SecretUnreadable) as error:
        MidtransGateway.for_merchant(keyed)
    assert error.value.status_code == 503


def test_keys_derive_from_secret_key_and_its_fallbacks(merchant, settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    settings.SECRET_KEY = "the-old-secret-key-" + "o" * 40
    settings.SECRET_KEY_FALLBACKS = []
    merchant.midtrans_server_key = "SB-Mid-server-OLD"
    merchant.save()
    settings.SECRET_KEY = "the-new-secret-key-" + "n" * 40
    settings.SECRET_KEY_FALLBACKS = ["the-old-secret-key-" + "o" * 40]
    assert Merchant.objects.get(pk=merchant.pk).midtrans_server_key == "SB-Mid-server-OLD"
    # New values are written with the current SECRET_KEY's key.
    merchant.xendit_secret_key = "xnd_NEW"
    merchant.save()
    token = raw_column(merchant, "xendit_secret_key")
    new_key = derived_key("the-new-secret-key-" + "n" * 40)
    assert Fernet(new_key.encode()).decrypt(token.encode()) == b"xnd_NEW"


def test_a_malformed_key_is_a_clear_configuration_error(merchant, settings):
    settings.FIELD_ENCRYPTION_KEYS = ["not-a-fernet-key"]
    merchant.midtrans_server_key = "x"
    with pytest.raises(ImproperlyConfigured, match="key 1 is not a Fernet key"):
        merchant.save()


def test_rotate_field_keys_re_encrypts_with_the_first_key(keyed, other_merchant, settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    other_merchant.xendit_secret_key = "xnd_OTHER"
    other_merchant.save()
    call_command("rotate_field_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    assert Merchant.objects.get(pk=keyed.pk).midtrans_server_key == "SB-Mid-server-KEEP"
    assert Merchant.objects.get(pk=other_merchant.pk).xendit_secret_key == "xnd_OTHER"
    assert Fernet(NEW.encode()).decrypt(raw_column(keyed).encode()) == b"SB-Mid-server-KEEP"


def test_rotate_field_keys_leaves_and_names_what_it_cannot_read(keyed, other_merchant, settings):
    other_merchant.xendit_secret_key = "xnd_OTHER"
    other_merchant.save()
    stored = raw_column(keyed)
    with pytest.raises(CommandError, match=f"merchants.Merchant {keyed.pk} midtrans_server_key"):
        call_command("rotate_field_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert raw_column(keyed) == stored
    assert Merchant.objects.get(pk=other_merchant.pk).xendit_secret_key == "xnd_OTHER"


def test_health_reports_merchants_whose_keys_cannot_be_read(keyed, client, caplog):
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["secrets"] == f"unreadable: merchants {keyed.pk}"


def test_health_secrets_ok(merchant, client):
    merchant.midtrans_server_key = "SB-Mid-server-FINE"
    merchant.save()
    body = client.get("/health/").json()
    assert body["status"] == "ok"
    assert body["checks"]["secrets"] == "ok"
