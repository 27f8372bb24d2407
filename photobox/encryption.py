"""Optional AES-256-CBC encryption of the kiosk poll and gallery JSON (`ENCRYPTION_ENABLED`).

The body `{...}` becomes `{"iv": base64(iv), "data": base64(AES-256-CBC(PKCS7(json)))}` with a
fresh random IV per response; the key is `ENCRYPTION_KEY` (32 characters, its UTF-8 bytes). A
fixed `ENCRYPTION_IV` (16 characters) gives the older `{"data": ...}` form for kiosks that
cannot read an `iv` field; a fixed IV leaks which answers are equal, so use it only for them.
Error bodies stay plain so a kiosk can always read why a call failed.
"""

import base64
import json
import os

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from rest_framework.utils.encoders import JSONEncoder


def encryption_enabled() -> bool:
    return bool(settings.ENCRYPTION_ENABLED)


def _key() -> bytes:
    key = settings.ENCRYPTION_KEY.encode()
    if len(key) != 32:
        raise ImproperlyConfigured("ENCRYPTION_KEY must be exactly 32 characters (AES-256).")
    return key


def encrypt_payload(data) -> dict:
    """The encrypted envelope of `data` (anything the API would render as JSON)."""
    plain = json.dumps(data, cls=JSONEncoder, ensure_ascii=False, separators=(",", ":")).encode()
    fixed_iv = settings.ENCRYPTION_IV.encode()
    if fixed_iv and len(fixed_iv) != 16:
        raise ImproperlyConfigured("ENCRYPTION_IV must be exactly 16 characters (or empty).")
    iv = fixed_iv or os.urandom(16)
    padder = padding.PKCS7(algorithms.AES.block_size).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(_key()), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    envelope = {"data": base64.b64encode(ciphertext).decode()}
    if not fixed_iv:
        envelope = {"iv": base64.b64encode(iv).decode(), **envelope}
    return envelope


def maybe_encrypt(data):
    """`data` itself, or its envelope when encryption is on."""
    return encrypt_payload(data) if encryption_enabled() else data
