"""The public menu served from the cache, and the catalog version that invalidates it.

Each merchant has a catalog version in the cache (`catalog:v:<merchant id>`), a random token
replaced by `catalog_version_bump()` whenever something the menu shows changes: products,
images, categories, promotions and their products, modifier groups and options, tables, the
merchant itself (catalog/signals.py and the bulk writes in catalog/services.py). A cached answer
records the version it was built under and is used only while that is still the version, and
never past the next promotion start or end (so a promotion appears and disappears on time).

A hit costs one cache round trip (the version and the answer in one `get_many`) and no SQL: the
shop's slug is remembered in the process (`PUBLIC_MENU_SLUG_LOCAL_SECONDS`) as a hint only; a
renamed or switched-off shop bumps the version, so its old entries are never served again.
"""

import hashlib
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone, translation

VERSION_KEY = "catalog:v:{}"


def _version_key(merchant_id: int) -> str:
    return VERSION_KEY.format(merchant_id)


def catalog_version_bump(merchant_id: int | None) -> None:
    """A new catalog version for the merchant: now (reads later in this transaction see their
    own writes) and again on commit (an answer built meanwhile from the old rows is dropped)."""
    if merchant_id is None:
        return

    def bump():
        cache.set(_version_key(merchant_id), uuid.uuid4().hex, None)

    bump()
    transaction.on_commit(bump)


def catalog_version_bump_many(merchant_ids) -> None:
    for merchant_id in set(merchant_ids):
        catalog_version_bump(merchant_id)


# --- the shop's slug remembered in the process ----------------------------------------------

_slugs: dict[str, tuple[int, float]] = {}  # slug -> (merchant id, monotonic time it expires)


def slug_hint(slug: str) -> int | None:
    found = _slugs.get(slug)
    if found is None or found[1] < time.monotonic():
        return None
    return found[0]


def slug_remember(slug: str, merchant_id: int) -> None:
    if len(_slugs) > 10_000:  # a crawler of made-up slugs never gets here (404s are not kept)
        _slugs.clear()
    _slugs[slug] = (merchant_id, time.monotonic() + settings.PUBLIC_MENU_SLUG_LOCAL_SECONDS)


def slug_forget_all() -> None:
    _slugs.clear()


# --- entries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MenuEntry:
    version: str
    valid_until: float  # epoch seconds: the next promotion boundary or the cache lifetime
    etag: str
    content_type: str
    body: bytes


def entry_key(*, merchant_id: int, request) -> str:
    """Per merchant, language and exact URL (filters, search, page; the host is in the page
    links)."""
    url = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()[:32]
    return f"menu:{merchant_id}:{translation.get_language() or ''}:{url}"


def entry_lookup(*, merchant_id: int, key: str) -> tuple[str | None, MenuEntry | None]:
    """The current catalog version and the entry if it is still good (one round trip)."""
    found = cache.get_many([_version_key(merchant_id), key])
    version = found.get(_version_key(merchant_id))
    entry = found.get(key)
    if (
        version is None
        or not isinstance(entry, MenuEntry)
        or entry.version != version
        or entry.valid_until <= time.time()
    ):
        return version, None
    return version, entry


def version_for_build(*, merchant_id: int, version: str | None) -> str:
    """The version an answer about to be built belongs to (read before its rows are)."""
    if version is not None:
        return version
    fresh = uuid.uuid4().hex
    if cache.add(_version_key(merchant_id), fresh, None):
        return fresh
    return cache.get(_version_key(merchant_id)) or fresh


def next_promotion_boundary(*, merchant_id: int, now=None):
    """When the next promotion of the merchant starts or ends (None: none ahead)."""
    from catalog.models import Promotion

    now = now or timezone.now()
    bounds = Promotion.objects.filter(merchant_id=merchant_id, is_active=True).aggregate(
        next_start=Min("starts_at", filter=Q(starts_at__gt=now)),
        next_end=Min("ends_at", filter=Q(ends_at__gt=now)),
    )
    ahead = [moment for moment in bounds.values() if moment is not None]
    return min(ahead) if ahead else None


def entry_store(
    *, key: str, merchant_id: int, version: str, content_type: str, body: bytes
) -> MenuEntry:
    now = timezone.now()
    lifetime = float(settings.PUBLIC_MENU_CACHE_SECONDS)
    boundary = next_promotion_boundary(merchant_id=merchant_id, now=now)
    if boundary is not None:
        lifetime = min(lifetime, (boundary - now).total_seconds())
    entry = MenuEntry(
        version=version,
        valid_until=time.time() + lifetime,
        etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
        content_type=content_type,
        body=body,
    )
    if lifetime >= 1:
        cache.set(key, entry, int(lifetime))
    return entry


def etag_matches(request, etag: str) -> bool:
    """`If-None-Match` names this ETag (or `*`); weak comparison, as RFC 9110 asks for GET."""
    header = request.META.get("HTTP_IF_NONE_MATCH", "")
    if not header:
        return False
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))
