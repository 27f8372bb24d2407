"""Catalog answers served from the cache (the public menu, the staff product list), and the
versions that invalidate them.

Each merchant has a catalog version in the cache (`catalog:v:<merchant id>`), a random token
replaced by `catalog_version_bump()` whenever something the menu shows changes: products,
images, categories, promotions and their products, modifier groups and options, tables, the
merchant itself (catalog/signals.py and the bulk writes in catalog/services.py). The staff
product list also shows each product's stock, so it depends on a second token, the stock
version (`catalog:stock:<merchant id>`), replaced on commit of every stock movement
(catalog/stock.py): a sale empties the staff list's entries but not the public menu's, which
shows only `sold_out`. A cached answer records the versions it was built under and is used only
while they are still current, and never past the next promotion start or end (so a promotion
appears and disappears on time).

A hit costs one cache round trip (the versions and the answer in one `get_many`) and no SQL: the
shop's slug is remembered in the process (`PUBLIC_MENU_SLUG_LOCAL_SECONDS`) as a hint only; a
renamed or switched-off shop bumps the version, so its old entries are never served again.
Staff answers are cached only after authentication, role and throttle checks ran as usual.
"""

import hashlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Min, Q
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone, translation

VERSION_KEY = "catalog:v:{}"
STOCK_VERSION_KEY = "catalog:stock:{}"


def _version_key(merchant_id: int) -> str:
    return VERSION_KEY.format(merchant_id)


def _version_keys(merchant_id: int, *, with_stock: bool) -> list[str]:
    keys = [_version_key(merchant_id)]
    if with_stock:
        keys.append(STOCK_VERSION_KEY.format(merchant_id))
    return keys


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


def stock_version_bump_many(merchant_ids) -> None:
    """Stock moved at these merchants: answers that show stock are built again. On commit only
    (one cache round trip): an answer built before then read the old version first, so it is
    stored under a version that is no longer current and never served."""
    merchant_ids = {merchant_id for merchant_id in merchant_ids if merchant_id is not None}
    if merchant_ids:
        transaction.on_commit(
            lambda: cache.set_many(
                {STOCK_VERSION_KEY.format(pk): uuid.uuid4().hex for pk in merchant_ids}, None
            )
        )


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


def entry_key(*, merchant_id: int, request, kind: str = "menu") -> str:
    """Per kind of answer, merchant, language and exact URL (filters, search, page; the host is
    in the page links)."""
    url = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()[:32]
    return f"{kind}:{merchant_id}:{translation.get_language() or ''}:{url}"


def entry_lookup(
    *, merchant_id: int, key: str, with_stock: bool = False
) -> tuple[str | None, MenuEntry | None]:
    """The current version (catalog, and stock when the answer shows it) and the entry if it is
    still good (one round trip)."""
    version_keys = _version_keys(merchant_id, with_stock=with_stock)
    found = cache.get_many([*version_keys, key])
    parts = [found.get(version_key) for version_key in version_keys]
    version = None if None in parts else ":".join(parts)
    entry = found.get(key)
    if (
        version is None
        or not isinstance(entry, MenuEntry)
        or entry.version != version
        or entry.valid_until <= time.time()
    ):
        return version, None
    return version, entry


def version_for_build(*, merchant_id: int, version: str | None, with_stock: bool = False) -> str:
    """The version an answer about to be built belongs to (read before its rows are)."""
    if version is not None:
        return version
    parts = []
    for version_key in _version_keys(merchant_id, with_stock=with_stock):
        fresh = uuid.uuid4().hex
        parts.append(
            fresh if cache.add(version_key, fresh, None) else cache.get(version_key) or fresh
        )
    return ":".join(parts)


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
    *,
    key: str,
    merchant_id: int,
    version: str,
    content_type: str,
    body: bytes,
    seconds: int | None = None,
) -> MenuEntry:
    now = timezone.now()
    lifetime = float(settings.PUBLIC_MENU_CACHE_SECONDS if seconds is None else seconds)
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


def cached_answer(
    view,
    request,
    *,
    merchant_id: int,
    kind: str,
    build: Callable[[], HttpResponseBase],
    render: Callable[[HttpResponseBase], bytes],
    with_stock: bool = False,
    seconds: int | None = None,
    cache_control: str = "no-cache",
) -> HttpResponseBase:
    """The answer from the cache while its versions hold, else `build()` (stored when it is a
    200, its body from `render`); with an ETag, and a 304 for a matching `If-None-Match`."""
    key = entry_key(merchant_id=merchant_id, request=request, kind=kind)
    version, entry = entry_lookup(merchant_id=merchant_id, key=key, with_stock=with_stock)
    if entry is None:
        version = version_for_build(merchant_id=merchant_id, version=version, with_stock=with_stock)
        response = build()
        if response.status_code != 200:
            return response
        entry = entry_store(
            key=key,
            merchant_id=merchant_id,
            version=version,
            content_type=request.accepted_renderer.media_type,
            body=render(response),
            seconds=seconds,
        )
    if etag_matches(request, entry.etag):
        answer = HttpResponse(status=304)
    else:
        answer = HttpResponse(entry.body, content_type=entry.content_type)
    # Who asked and for which merchant, for the access log (as DRF's own answers carry it).
    answer.renderer_context = {"view": view, "request": request}
    answer["ETag"] = entry.etag
    answer["Cache-Control"] = cache_control  # no-cache: keep it, but ask again (a 304 is cheap)
    return answer
