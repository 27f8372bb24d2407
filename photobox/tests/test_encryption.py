"""Optional AES-256-CBC response encryption, decrypted here the way a kiosk would."""

import base64
import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.urls import reverse
from django.utils import timezone

from photobox.tests.factories import CompletedSessionFactory, PhotoFactory, PhotoSessionFactory

pytestmark = pytest.mark.django_db
KEY = "0123456789abcdef0123456789abcdef"  # 32 characters


def decrypt(data_b64: str, iv: bytes, key: str = KEY) -> dict:
    decryptor = Cipher(algorithms.AES(key.encode()), modes.CBC(iv)).decryptor()
    padded = decryptor.update(base64.b64decode(data_b64)) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return json.loads(unpadder.update(padded) + unpadder.finalize())


@pytest.fixture
def encrypted(settings):
    settings.ENCRYPTION_ENABLED = True
    settings.ENCRYPTION_KEY = KEY
    settings.ENCRYPTION_IV = ""
    return settings


def test_poll_round_trip_with_a_fresh_iv_each_time(encrypted, kiosk, location):
    session = PhotoSessionFactory(merchant=location.merchant, location=location)
    url = reverse("api:photobox-kiosk-status", args=[session.external_id])

    first, second = kiosk.get(url).json(), kiosk.get(url).json()

    assert set(first) == {"iv", "data"}
    assert first["iv"] != second["iv"]
    assert first["data"] != second["data"]
    body = decrypt(first["data"], base64.b64decode(first["iv"]))
    assert body["external_id"] == session.external_id
    assert body["status"] == "PENDING"
    assert set(body) == {"external_id", "status", "paid_at", "expires_at", "expires_in"}


def test_fixed_iv_gives_the_older_data_only_form(encrypted, kiosk, location):
    encrypted.ENCRYPTION_IV = "fedcba9876543210"
    session = PhotoSessionFactory(merchant=location.merchant, location=location)
    url = reverse("api:photobox-kiosk-status", args=[session.external_id])
    body = kiosk.get(url).json()
    assert set(body) == {"data"}
    assert decrypt(body["data"], b"fedcba9876543210")["external_id"] == session.external_id


def test_gallery_json_is_encrypted_too(encrypted, api_client, merchant):
    session = CompletedSessionFactory(
        merchant=merchant, photos_expire_at=timezone.now() + timedelta(days=3)
    )
    PhotoFactory(session=session)
    body = api_client.get(reverse("api:photobox-gallery", args=[session.gallery_token])).json()
    plain = decrypt(body["data"], base64.b64decode(body["iv"]))
    assert plain["count"] == 1
    assert plain["photos"][0]["url"].endswith(".jpg")


def test_errors_stay_readable(encrypted, kiosk):
    response = kiosk.get(
        reverse("api:photobox-kiosk-status", args=["TRX-1-20250101100000-00000000"])
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_off_by_default(kiosk, location):
    session = PhotoSessionFactory(merchant=location.merchant, location=location)
    body = kiosk.get(reverse("api:photobox-kiosk-status", args=[session.external_id])).json()
    assert body["external_id"] == session.external_id


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ENCRYPTION_ENABLED": "true", "ENCRYPTION_KEY": "short"}, "ENCRYPTION_KEY"),
        ({"ENCRYPTION_IV": "not-sixteen"}, "ENCRYPTION_IV"),
    ],
)
def test_bad_settings_stop_the_server_at_start(env, message):
    import os
    import subprocess
    import sys

    code = (
        "import os, django; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup()"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert message in result.stderr
