"""A staff token's user, memberships and merchants remembered briefly in the web process.

Every staff API request used to read its token (with the user) and the user's memberships (with
their merchants): two queries before any work. A process now keeps what it read, per token, for
`STAFF_AUTH_LOCAL_SECONDS`, and trusts it only while the token's version in the shared cache
(`staffauth:v:<token hash>`) is the one it read before it went to the database: one cache read
instead of two queries.

Revocation reaches every process at its next request: deleting a token, saving or deleting its
user (deactivated, made operator, password changed), a membership of the user, or a merchant
the user belongs to replaces the versions of the tokens concerned, now and on commit
(merchants/signals.py). With the cache unreachable no version matches, so every request reads
the database as before; the local time limit bounds what a lost bump could cost.
"""

import pickle
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "staffauth:v:{}"


def _key(key_hash: str) -> str:
    return VERSION_KEY.format(key_hash[:40])


@dataclass(frozen=True)
class _Entry:
    version: str
    expires: float  # monotonic
    payload: bytes  # pickled (token with its user, memberships with their merchants)


_entries: dict[str, _Entry] = {}


def forget_all() -> None:
    _entries.clear()


def version_read(key_hash: str) -> str | None:
    """The token's current version (read before the database), made if missing."""
    version = cache.get(_key(key_hash))
    if version is None:
        fresh = uuid.uuid4().hex
        if cache.add(_key(key_hash), fresh, None):
            return fresh
        version = cache.get(_key(key_hash))
    return version


def remembered(key_hash: str):
    """(token, memberships) as remembered, if their version still holds; else None."""
    entry = _entries.get(key_hash)
    if entry is None:
        return None
    if entry.expires < time.monotonic() or cache.get(_key(key_hash)) != entry.version:
        _entries.pop(key_hash, None)
        return None
    # A fresh copy per request: nothing one request sets on them leaks into the next.
    return pickle.loads(entry.payload)  # noqa: S301 - bytes this process pickled itself


def remember(key_hash: str, *, version: str | None, token, memberships) -> None:
    seconds = settings.STAFF_AUTH_LOCAL_SECONDS
    if version is None or seconds <= 0:
        return
    if len(_entries) > 10_000:
        _entries.clear()
    _entries[key_hash] = _Entry(
        version=version,
        expires=time.monotonic() + seconds,
        payload=pickle.dumps((token, memberships), pickle.HIGHEST_PROTOCOL),
    )


def remember_memberships(key_hash: str, version: str, *, user, memberships) -> None:
    """Add the memberships a view read to the token remembered by its authentication."""
    entry = _entries.get(key_hash)
    if entry is None or entry.version != version:
        return
    token, _ = pickle.loads(entry.payload)  # noqa: S301 - bytes this process pickled itself
    remember(key_hash, version=version, token=token, memberships=memberships)


def revoke(key_hashes) -> None:
    """New versions for these tokens: now, and again once the change is committed."""
    keys = [_key(key_hash) for key_hash in key_hashes]
    if not keys:
        return

    def bump():
        cache.set_many({key: uuid.uuid4().hex for key in keys}, None)

    bump()
    transaction.on_commit(bump)
    for key_hash in key_hashes:
        _entries.pop(key_hash, None)


def revoke_users(user_ids) -> None:
    from merchants.models import StaffToken

    revoke(list(StaffToken.objects.filter(user_id__in=user_ids).values_list("key_hash", flat=True)))
