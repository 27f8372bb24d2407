"""Encryption of secrets stored in the database (gateway server keys and the like).

Keys: `FIELD_ENCRYPTION_KEYS` (Fernet keys, comma-separated; the first encrypts, every one
decrypts). Required when DEBUG is off (settings refuse to start without them); with DEBUG on and
none set, keys are derived from `SECRET_KEY` and then every `SECRET_KEY_FALLBACKS` entry, so a
rotated SECRET_KEY keeps old values readable. `manage.py rotate_field_keys` re-encrypts every
stored secret with the first key, after which old keys can be dropped.

A stored value that no configured key decrypts is never read as empty (a form round-trip would
then erase the merchant's payment key): reading it raises `SecretUnreadable`, a clear error that
is logged, while saving the row keeps the stored ciphertext untouched.
"""

import base64
import hashlib
import logging
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.functions import Cast
from django.db.models.query_utils import DeferredAttribute
from django.utils.translation import gettext

from merchants.errors import DomainError

logger = logging.getLogger(__name__)


class SecretUnreadable(DomainError):
    """A stored secret that none of the configured keys decrypts: a configuration fault."""

    status_code = 503
    code = "secret_unreadable"


def derived_key(secret: str) -> str:
    """The Fernet key derived from a SECRET_KEY (what DEBUG setups use without FIELD_*_KEYS)."""
    return base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()).decode()


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    fernets = []
    for index, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.encode()))
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS: key {index} is not a Fernet key (32 url-safe base64 "
                'bytes); make one with `python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"`.'
            ) from None
    return MultiFernet(fernets)


def configured_keys() -> tuple[str, ...]:
    keys = tuple(key for key in settings.FIELD_ENCRYPTION_KEYS if key)
    if keys:
        return keys
    # DEBUG only (settings require the keys otherwise): the current SECRET_KEY encrypts, the
    # fallbacks still decrypt what was written before a rotation.
    secrets_ = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return tuple(derived_key(secret) for secret in secrets_ if secret)


def get_fernet() -> MultiFernet:
    return _fernet(configured_keys())


def encrypt(plain: str) -> str:
    return get_fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    return get_fernet().decrypt(token.encode()).decode()


class UnreadableSecret:
    """What an undecryptable column holds in memory: the stored ciphertext, kept as it is."""

    __slots__ = ("token",)

    def __init__(self, token: str):
        self.token = token

    def __repr__(self) -> str:
        return "<UnreadableSecret>"


class SecretAttribute(DeferredAttribute):
    """Reading an undecryptable secret raises `SecretUnreadable` (and logs it).

    A data descriptor (it has `__set__`), so reads pass through `__get__` even once the value
    is in the instance's `__dict__`.
    """

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = value

    def __get__(self, instance, cls=None):
        value = super().__get__(instance, cls)
        if isinstance(value, UnreadableSecret):
            field = self.field
            label = f"{field.model._meta.verbose_name} {instance.pk}"
            logger.error(
                "%s.%s of %s cannot be decrypted with FIELD_ENCRYPTION_KEYS",
                field.model._meta.label,
                field.name,
                label,
            )
            raise SecretUnreadable(
                gettext(
                    "The stored %(verbose_name)s of %(label)s cannot be decrypted with the "
                    "configured FIELD_ENCRYPTION_KEYS (was a key removed?). Put the old "
                    "key back (after the first one), or enter the secret again."
                )
                % {"verbose_name": field.verbose_name, "label": label}
            )
        return value


class EncryptedTextField(models.TextField):
    """A text column stored encrypted (Fernet); Python code sees the clear value.

    Empty stays empty, so "not configured" needs no decryption. See the module docstring for a
    value that cannot be decrypted. `Model.secret_is_stored(name)` asks without decrypting.
    """

    descriptor_class = SecretAttribute

    def from_db_value(self, value, expression, connection):
        if not value:
            return ""
        try:
            return decrypt(value)
        except InvalidToken:
            return UnreadableSecret(value)

    def pre_save(self, model_instance, add):
        if self.attname not in model_instance.__dict__:  # deferred
            return super().pre_save(model_instance, add)
        # Straight from the instance: reading an unreadable secret through the attribute raises.
        return model_instance.__dict__[self.attname]

    def get_prep_value(self, value):
        if isinstance(value, UnreadableSecret):
            return value.token  # saving the row never erases a secret it could not read
        value = super().get_prep_value(value)
        if not value:
            return ""
        return encrypt(value)

    def value_from_object(self, obj):
        # Forms and serialisers get "" for an unreadable secret (they never show secrets).
        value = obj.__dict__.get(self.attname, "")
        return "" if isinstance(value, UnreadableSecret) else value


def unreadable_field_names(instance: models.Model) -> set[str]:
    """The encrypted fields of `instance` whose stored value no configured key decrypts."""
    return {
        field.attname
        for field in instance._meta.concrete_fields
        if isinstance(instance.__dict__.get(field.attname), UnreadableSecret)
    }


def encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    """(model, [names of its encrypted columns]) for every model that has some."""
    found = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found.append((model, names))
    return found


def stored_ciphertexts(model: type[models.Model], names: list[str]):
    """Rows of (pk, {name: ciphertext}) with the columns as stored, not decrypted."""
    annotations = {f"raw_{name}": Cast(name, output_field=models.TextField()) for name in names}
    rows = model._default_manager.order_by("pk").annotate(**annotations)
    for row in rows.values("pk", *annotations).iterator():
        yield row["pk"], {name: row[f"raw_{name}"] or "" for name in names}


def unreadable_secrets() -> dict[str, list[int]]:
    """model label → primary keys of rows holding a secret no configured key decrypts."""
    fernet, found = get_fernet(), {}
    for model, names in encrypted_fields():
        for pk, tokens in stored_ciphertexts(model, names):
            for token in tokens.values():
                if not token:
                    continue
                try:
                    fernet.decrypt(token.encode())
                except InvalidToken:
                    found.setdefault(model._meta.label, []).append(pk)
                    break
    return found
