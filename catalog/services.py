"""Writes for the catalog: products' images and flags, promotions and their products. The
functions that change a product's stock live in catalog/stock.py and are re-exported here.

Plain field edits of categories and products go through serializers and admin forms, which run
the models' `full_clean()`; everything that spans rows or touches storage lives here.
"""

import logging
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from catalog.menu_cache import catalog_version_bump_many
from catalog.models import (
    LowStockAlert,
    ModifierGroup,
    ModifierOption,
    Product,
    ProductImage,
    ProductModifierGroup,
    Promotion,
    PromotionItem,
)
from catalog.pricing import PriceQuote, product_final_price, product_final_prices
from catalog.selectors import days_of_stock_left, product_list_low_stock, product_sold_per_day
from catalog.stock import (
    StockKind,
    StockLine,
    stock_adjust,
    stock_check,
    stock_count_many,
    stock_release,
    stock_reserve,
)
from merchants.emails import send_templated_email
from merchants.errors import Conflict, DomainError, NotFound
from merchants.images import ImageInfo, validate_image
from merchants.models import Merchant
from merchants.reports import local_today
from merchants.selectors import merchant_owner_emails

logger = logging.getLogger(__name__)

__all__ = [
    "PriceQuote",
    "StockKind",
    "StockLine",
    "low_stock_alert_send",
    "modifier_group_save",
    "product_detail_images_add",
    "product_detail_images_remove",
    "product_final_price",
    "product_final_prices",
    "product_set_flags",
    "product_set_modifier_groups",
    "product_thumbnail_remove",
    "product_thumbnail_set",
    "promotion_save",
    "stock_adjust",
    "stock_check",
    "stock_count_many",
    "stock_release",
    "stock_reserve",
]


def _validated(uploads: Sequence, *, max_bytes: int, field: str) -> list[ImageInfo]:
    # Every file is checked before the first one is stored: a bad file stores nothing.
    return [validate_image(upload, max_bytes=max_bytes, field=field) for upload in uploads]


def _store(*, product: Product, kind: str, upload, info: ImageInfo, sort_order: int = 0):
    image = ProductImage(
        product=product,
        kind=kind,
        width=info.width,
        height=info.height,
        size=info.file.size,
        sort_order=sort_order,
    )
    # The stored name comes from us (kind, random part, the real format), never the client;
    # the stored bytes are Pillow's re-encoding, never the upload's.
    image.file.save(f"{kind}.{info.extension}", info.file, save=False)
    try:
        image.save()
    except Exception:
        _delete_file(image.file.name, image.file.storage)
        raise
    return image


def _store_all(*, product: Product, kind: str, pairs, start: int = 0) -> list[ProductImage]:
    """Store every (upload, info); should one fail, remove the files already stored."""
    stored: list[ProductImage] = []
    try:
        for index, (upload, info) in enumerate(pairs):
            stored.append(
                _store(
                    product=product,
                    kind=kind,
                    upload=upload,
                    info=info,
                    sort_order=start + index,
                )
            )
    except Exception:
        for image in stored:
            _delete_file(image.file.name, image.file.storage)
        raise
    return stored


def _delete_file(name: str, storage) -> None:
    try:
        storage.delete(name)
    except Exception:
        # The row is gone either way; an orphaned file is logged for the cleanup job.
        logger.exception("Could not delete stored image %s", name)


def image_file_delete_on_commit(image: ProductImage) -> None:
    """Remove the stored file once the row's deletion is committed (signal receiver calls it)."""
    name, storage = image.file.name, image.file.storage
    if name:
        transaction.on_commit(lambda: _delete_file(name, storage))


@transaction.atomic
def product_thumbnail_set(*, product: Product, upload) -> ProductImage:
    """Replace the product's thumbnail with `upload` (checked by content, ≤ 5 MB by default)."""
    [info] = _validated([upload], max_bytes=settings.CATALOG_THUMBNAIL_MAX_BYTES, field="file")
    product = Product.objects.select_for_update().get(pk=product.pk)
    for old in ProductImage.objects.filter(product=product, kind=ProductImage.Kind.THUMBNAIL):
        old.delete()
    [image] = _store_all(product=product, kind=ProductImage.Kind.THUMBNAIL, pairs=[(upload, info)])
    return image


@transaction.atomic
def product_thumbnail_remove(*, product: Product) -> None:
    deleted, _ = ProductImage.objects.filter(
        product=product, kind=ProductImage.Kind.THUMBNAIL
    ).delete()
    if not deleted:
        raise NotFound(gettext("%(name)s has no thumbnail.") % {"name": product.name})


@transaction.atomic
def product_detail_images_add(*, product: Product, uploads: Sequence) -> list[ProductImage]:
    """Add detail images (each checked by content, ≤ 10 MB by default, at most 3 in all)."""
    limit = settings.CATALOG_MAX_DETAIL_IMAGES
    if not uploads:
        raise DomainError(
            gettext("Send at least one image in `files`."),
            details={"files": [gettext("Required.")]},
        )
    if len(uploads) > limit:
        raise DomainError(
            gettext("At most %(limit)s detail images per product; %(len)s were sent.")
            % {"limit": limit, "len": len(uploads)},
            details={"files": [gettext("At most %(limit)s files.") % {"limit": limit}]},
        )
    infos = _validated(uploads, max_bytes=settings.CATALOG_DETAIL_IMAGE_MAX_BYTES, field="files")
    # Lock the product so two uploads at once cannot both pass the count check.
    product = Product.objects.select_for_update().get(pk=product.pk)
    existing = list(
        ProductImage.objects.filter(product=product, kind=ProductImage.Kind.DETAIL).values_list(
            "sort_order", flat=True
        )
    )
    if len(existing) + len(uploads) > limit:
        raise Conflict(
            gettext(
                "%(name)s already has %(len)s detail image(s); at most %(limit)s are "
                "allowed, so %(max)s more can be added. Delete some first."
            )
            % {
                "name": product.name,
                "len": len(existing),
                "limit": limit,
                "max": max(limit - len(existing), 0),
            },
            details={
                "files": [
                    gettext("At most %(limit)s detail images per product.") % {"limit": limit}
                ]
            },
        )
    return _store_all(
        product=product,
        kind=ProductImage.Kind.DETAIL,
        pairs=zip(uploads, infos, strict=True),
        start=max(existing, default=-1) + 1,
    )


@transaction.atomic
def product_detail_images_remove(*, product: Product, ids: Iterable[int]) -> int:
    """Delete the product's detail images with these ids; unknown ids are a 404, nothing goes."""
    ids = set(ids)
    if not ids:
        raise DomainError(
            gettext("Name the images to delete in `ids`."),
            details={"ids": [gettext("Required.")]},
        )
    images = list(
        ProductImage.objects.filter(product=product, kind=ProductImage.Kind.DETAIL, pk__in=ids)
    )
    missing = ids - {image.pk for image in images}
    if missing:
        raise NotFound(
            gettext("%(name)s has no detail image with id %(join)s.")
            % {"name": product.name, "join": ", ".join(map(str, sorted(missing)))},
            details={"ids": sorted(missing)},
        )
    for image in images:
        image.delete()
    return len(images)


def product_set_flags(*, products: QuerySet, **flags: bool) -> int:
    """Bulk switch `is_active` / `is_available` on a (scoped) queryset; returns the count."""
    allowed = {"is_active", "is_available"}
    unknown = set(flags) - allowed
    if unknown or not flags:
        raise ValueError(f"Only {sorted(allowed)} can be switched in bulk, not {sorted(unknown)}.")
    catalog_version_bump_many(products.values_list("merchant_id", flat=True).distinct())
    return products.update(**flags)


@transaction.atomic
def promotion_save(
    *,
    merchant: Merchant,
    promotion: Promotion | None = None,
    products: Iterable[Product] | None = None,
    **fields,
) -> Promotion:
    """Create or update a promotion and (when given) replace its products.

    Every product must belong to `merchant`; the model's rules (percent ≤ 100, ends after it
    starts) are checked before anything is written.
    """
    promotion = promotion or Promotion(merchant=merchant)
    for name, value in fields.items():
        setattr(promotion, name, value)
    promotion.full_clean()
    promotion.save()
    if products is not None:
        products = list(products)
        foreign = [product for product in products if product.merchant_id != merchant.pk]
        if foreign:
            raise DomainError(
                gettext("Some products belong to another merchant."),
                details={"product_ids": [product.pk for product in foreign]},
            )
        keep = {product.pk for product in products}
        PromotionItem.objects.filter(promotion=promotion).exclude(product_id__in=keep).delete()
        present = set(
            PromotionItem.objects.filter(promotion=promotion).values_list("product_id", flat=True)
        )
        PromotionItem.objects.bulk_create(
            PromotionItem(promotion=promotion, product_id=pk) for pk in sorted(keep - present)
        )
    return promotion


@transaction.atomic
def modifier_group_save(
    *,
    merchant: Merchant,
    group: ModifierGroup | None = None,
    options: list[dict] | None = None,
    **fields,
) -> ModifierGroup:
    """Create or update a modifier group and (when given) replace its options as a whole.

    `options`: dicts of `name`, `price_delta`, `is_active` and, for an option kept, its `id`;
    options of the group not listed are deleted (order lines keep their own snapshot of each
    option, so no order changes). The group's and each option's rules are checked before
    anything is written; an id of another group is a 400.
    """
    group = group or ModifierGroup(merchant=merchant)
    for name, value in fields.items():
        setattr(group, name, value)
    group.full_clean()
    group.save()
    if options is None:
        return group
    existing = {option.pk: option for option in ModifierOption.objects.filter(group=group)}
    unknown = sorted({o["id"] for o in options if o.get("id")} - existing.keys())
    if unknown:
        raise DomainError(
            gettext("%(name)s has no option %(join)s; leave out the id to add a new option.")
            % {"name": group.name, "join": ", ".join(map(str, unknown))},
            details={"options": {"unknown_ids": unknown}},
        )
    kept = []
    for index, data in enumerate(options):
        option = existing.get(data.get("id")) or ModifierOption(group=group)
        option.group = group
        for name in ("name", "price_delta", "is_active"):
            if name in data:
                setattr(option, name, data[name])
        option.sort_order = index
        try:
            option.full_clean()
        except ValidationError as error:
            problems = "; ".join(
                f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items()
            )
            raise DomainError(
                gettext("Option %(value)s (%(value2)s): %(problems)s")
                % {"value": index + 1, "value2": option.name or "no name", "problems": problems},
                details={"options": {str(index): error.message_dict}},
            ) from None
        option.save()
        kept.append(option.pk)
    ModifierOption.objects.filter(group=group).exclude(pk__in=kept).delete()
    return group


@transaction.atomic
def product_set_modifier_groups(*, product: Product, groups: Sequence[ModifierGroup]) -> None:
    """The product offers exactly `groups`, in this order (replaced as a whole)."""
    foreign = [group.pk for group in groups if group.merchant_id != product.merchant_id]
    if foreign:
        raise DomainError(
            gettext("Some modifier groups belong to another merchant."),
            details={"modifier_group_ids": foreign},
        )
    ids = [group.pk for group in groups]
    if len(set(ids)) != len(ids):
        raise DomainError(
            gettext("A modifier group is listed twice."),
            details={"modifier_group_ids": [gettext("Duplicate.")]},
        )
    links = {link.group_id: link for link in ProductModifierGroup.objects.filter(product=product)}
    ProductModifierGroup.objects.filter(product=product).exclude(group_id__in=ids).delete()
    for index, pk in enumerate(ids):
        link = links.get(pk)
        if link is None:
            ProductModifierGroup.objects.create(product=product, group_id=pk, sort_order=index)
        elif link.sort_order != index:
            link.sort_order = index
            link.save(update_fields=["sort_order", "updated_at"])


def low_stock_alert_send(*, merchant_id: int, now=None) -> bool:
    """Email the merchant's owners every active product at or below its low-stock threshold,
    at most once per local day; True when an email went out.

    Nothing is sent when nothing is low or no owner has an address. The day's `LowStockAlert`
    row is claimed (a unique insert) before sending and released if sending fails, so a retry
    or a redelivered task never sends a second email after a success.
    """
    merchant = Merchant.objects.filter(pk=merchant_id, is_active=True).first()
    if merchant is None:
        return False
    products = list(product_list_low_stock(merchant=merchant))
    if not products:
        return False
    # What each sold per day this past week (the stock ledger's sales), and the days left.
    pace = product_sold_per_day(merchant=merchant, product_ids=[p.pk for p in products], now=now)
    for product in products:
        product.sold_per_day = pace.get(product.pk)
        product.days_left = days_of_stock_left(product.stock, product.sold_per_day)
    recipients = merchant_owner_emails(merchant=merchant)
    if not recipients:
        logger.info("Low stock at %s but no owner has an email address", merchant.slug)
        return False
    day = local_today(merchant, now)
    try:
        with transaction.atomic():
            alert = LowStockAlert.objects.create(
                merchant=merchant,
                day=day,
                product_count=len(products),
                recipient_count=len(recipients),
            )
    except IntegrityError:
        return False  # already sent today (or being sent right now)
    try:
        send_templated_email(
            to=recipients,
            template="low_stock_alert",
            context={
                "products": products,
                "day": day,
                "products_url": settings.SITE_URL
                + reverse("admin:catalog_product_changelist")
                + "?low_stock=yes",
            },
            merchant=merchant,
        )
    except Exception:
        alert.delete()  # let a retry send it
        raise
    LowStockAlert.objects.filter(pk=alert.pk).update(sent_at=timezone.now())
    return True
