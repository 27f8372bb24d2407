"""Kiosk keys and the maintenance token: the two credentials of the photobox endpoints.

A kiosk endpoint declares::

    authentication_classes = [KioskKeyAuthentication]
    permission_classes = [IsKiosk]

and reads `request.auth` (a `KioskIdentity`: location, merchant, machine code). Only the
`X-Kiosk-Key` header counts there, so staff tokens and sessions are refused (401); staff
endpoints never read the header, so a kiosk key opens none of them.

The key check sits on the hot path (every kiosk polls every few seconds): the key's SHA-256 is
looked up once and the answer cached for `PHOTOBOX_KIOSK_KEY_CACHE_SECONDS`; rotating a key or
deactivating a location (or its merchant) clears the entry at once (see `signals.py`).

The poll alone also keeps a found key in the memory of the process for
`PHOTOBOX_POLL_KEY_LOCAL_SECONDS` (never longer than the shared cache would), which spares it the
round trip to Redis that is most of its cost above Django's own. A rotation or deactivation clears
that memory at once in the process that makes it and reaches the poll in other processes within
that many seconds; sales, uploads and the package list never use it, so a key that was rotated or
switched off can no longer sell, upload or read prices anywhere the moment the change commits.
"""

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.throttling import SimpleRateThrottle

from merchants.throttling import CountingThrottleMixin
from photobox.models import KioskLocation

KIOSK_KEY_HEADER = "HTTP_X_KIOSK_KEY"
MAINTENANCE_TOKEN_HEADER = "HTTP_X_MAINTENANCE_TOKEN"  # noqa: S105 - a header name
KEY_PREFIX = "pbk_"
_CACHE_PREFIX = "photobox:kiosk-key:"
# Longer than any key we issue; longer values are refused before hashing.
_MAX_KEY_LENGTH = 200
# The poll's process-local tier: key hash -> (identity, monotonic time it lapses). Bounded: a
# process serving more kiosks than this starts over rather than growing without limit.
_local_identities: dict[str, tuple["KioskIdentity", float]] = {}
_LOCAL_MAX_ENTRIES = 10_000


def kiosk_key_generate() -> str:
    """A new random kiosk key (256 bits), recognisable by its `pbk_` prefix."""
    return f"{KEY_PREFIX}{secrets.token_urlsafe(32)}"


def kiosk_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class KioskIdentity:
    """`request.auth` on kiosk endpoints."""

    location_id: int
    merchant_id: int
    machine_code: str


def _cache_key(key_hash: str) -> str:
    return f"{_CACHE_PREFIX}{key_hash}"


def _local_seconds() -> float:
    return max(
        min(settings.PHOTOBOX_POLL_KEY_LOCAL_SECONDS, settings.PHOTOBOX_KIOSK_KEY_CACHE_SECONDS), 0
    )


def kiosk_identity_for_key(key: str, *, local: bool = False) -> KioskIdentity | None:
    """The active location a key belongs to (cached), or None.

    `local=True` (the poll only) first asks this process's memory, see the module docstring.
    """
    key_hash = kiosk_key_hash(key)
    if local:
        entry = _local_identities.get(key_hash)
        if entry is not None and entry[1] > time.monotonic():
            return entry[0]
    cached = cache.get(_cache_key(key_hash))
    if cached is not None:
        identity = KioskIdentity(*cached)
    else:
        row = (
            KioskLocation.objects.filter(
                key_hash=key_hash, is_active=True, merchant__is_active=True
            )
            .values_list("pk", "merchant_id", "machine_code")
            .first()
        )
        if row is None:
            return None  # not cached: a key made valid a moment later must work at once
        cache.set(_cache_key(key_hash), row, settings.PHOTOBOX_KIOSK_KEY_CACHE_SECONDS)
        identity = KioskIdentity(*row)
    seconds = _local_seconds() if local else 0
    if seconds:
        if len(_local_identities) >= _LOCAL_MAX_ENTRIES:
            _local_identities.clear()
        _local_identities[key_hash] = (identity, time.monotonic() + seconds)
    return identity


def kiosk_identity_forget(*key_hashes: str) -> None:
    """Drop cached lookups (after a rotation, deactivation or deletion): in the shared cache,
    and in this process's memory of the poll."""
    for key_hash in key_hashes:
        _local_identities.pop(key_hash, None)
    keys = [_cache_key(h) for h in key_hashes if h]
    if keys:
        cache.delete_many(keys)


def kiosk_identity_forget_on_commit(*key_hashes: str) -> None:
    """`kiosk_identity_forget` for a write in progress: now, and again once it commits, so no
    request that read the row meanwhile leaves it cached as it was before."""
    kiosk_identity_forget(*key_hashes)
    transaction.on_commit(lambda: kiosk_identity_forget(*key_hashes))


def kiosk_identity_forget_local() -> None:
    """Empty this process's memory of the poll (the test suite does, between tests)."""
    _local_identities.clear()


class MachinePrincipal:
    """A caller that holds a machine's secret: never a staff member or a customer (the staff
    permission classes refuse principals with `is_staff_principal = False`)."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    is_staff_principal = False


class KioskPrincipal(MachinePrincipal):
    """`request.user` on kiosk endpoints."""

    principal_kind = "kiosk"  # the access log's user kind

    def __init__(self, identity: KioskIdentity):
        self.identity = identity

    @property
    def pk(self) -> str:
        return f"kiosk:{self.identity.location_id}"

    @property
    def merchant_id(self) -> int:
        return self.identity.merchant_id

    def __str__(self) -> str:
        return f"kiosk {self.identity.machine_code}"


def kiosk_identity_from_header(request, *, local: bool = False) -> KioskIdentity | None:
    """The identity of the request's `X-Kiosk-Key` (None when missing, malformed or unknown)."""
    key = request.META.get(KIOSK_KEY_HEADER)
    if not key or len(key) > _MAX_KEY_LENGTH or not key.isascii():
        return None
    return kiosk_identity_for_key(key, local=local)


class KioskKeyAuthentication(BaseAuthentication):
    """`X-Kiosk-Key: <key>`; the only authentication class of kiosk endpoints.

    `local=True` (the poll's, see its view) puts the process-local tier in front of the cache.
    """

    def __init__(self, *, local: bool = False):
        self.local = local

    def authenticate(self, request):
        if not request.META.get(KIOSK_KEY_HEADER):
            return None
        identity = kiosk_identity_from_header(request, local=self.local)
        if identity is None:
            raise exceptions.AuthenticationFailed(
                gettext(
                    "This kiosk key is unknown, was rotated, or its location is switched off. "
                    "Ask the owner for the current key."
                ),
                code="invalid_kiosk_key",
            )
        return KioskPrincipal(identity), identity

    def authenticate_header(self, request) -> str:
        # Makes a missing key a 401 (with this challenge) instead of a 403.
        return 'KioskKey realm="kiosk", header="X-Kiosk-Key"'


class IsKiosk(BasePermission):
    message = gettext_lazy("Send this kiosk's key in the X-Kiosk-Key header.")

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, KioskIdentity)


class KioskRateThrottle(CountingThrottleMixin, SimpleRateThrottle):
    """Per kiosk location; anonymous callers by address."""

    scope = "kiosk"

    def get_cache_key(self, request, view) -> str:
        if isinstance(request.auth, KioskIdentity):
            ident = f"kiosk:{request.auth.location_id}"
        else:
            ident = f"anon:{self.get_ident(request)}"
        return f"throttle_{self.scope}_{ident}"


class MaintenancePrincipal(MachinePrincipal):
    pk = "maintenance"
    principal_kind = "maintenance"

    def __str__(self) -> str:
        return "maintenance"


class MaintenanceTokenAuthentication(BaseAuthentication):
    """`X-Maintenance-Token` equal to `MAINTENANCE_TOKEN` (compared in constant time).

    Missing → 401, wrong → 403; with `MAINTENANCE_TOKEN` unset every call is a 403.
    """

    def authenticate(self, request):
        expected = settings.MAINTENANCE_TOKEN
        if not expected:
            raise exceptions.PermissionDenied(
                gettext(
                    "Maintenance endpoints are switched off on this server (MAINTENANCE_TOKEN is "
                    "not set)."
                )
            )
        given = request.META.get(MAINTENANCE_TOKEN_HEADER)
        if not given:
            return None
        if not hmac.compare_digest(expected.encode(), given.encode(errors="replace")):
            raise exceptions.PermissionDenied(gettext("The X-Maintenance-Token is wrong."))
        return MaintenancePrincipal(), None

    def authenticate_header(self, request) -> str:
        return 'MaintenanceToken realm="maintenance", header="X-Maintenance-Token"'


class IsMaintenance(BasePermission):
    message = gettext_lazy("Send the maintenance token in the X-Maintenance-Token header.")

    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, MaintenancePrincipal)


class KioskKeyScheme(OpenApiAuthenticationExtension):
    target_class = "photobox.auth.KioskKeyAuthentication"
    name = "kioskKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Kiosk-Key",
            "description": "The key of one kiosk location, shown once when it is created or "
            "rotated (demo: demo-kiosk-PB-001).",
        }


class MaintenanceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "photobox.auth.MaintenanceTokenAuthentication"
    name = "maintenanceToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Maintenance-Token",
            "description": "The server's MAINTENANCE_TOKEN setting.",
        }
