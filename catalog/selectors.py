"""Reads for the catalog: the staff lists and the public menu, cheap in queries."""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.db.models import F, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext

from catalog.models import (
    ModifierGroup,
    ModifierOption,
    Product,
    ProductCategory,
    ProductImage,
    ProductModifierGroup,
    Promotion,
    PromotionItem,
    StockMovement,
)
from merchants.errors import DomainError, NotFound
from merchants.models import Merchant, TableLocation

BARCODE_MAX_LENGTH = Product._meta.get_field("barcode").max_length
IMAGE_ORDER = ("kind", "sort_order", "pk")  # detail images in their order, then the thumbnail


def product_images_prefetch() -> Prefetch:
    """The products' images as a plain list, `product.image_list` (see `product_images`).

    A list rather than Django's prefetched manager, which builds a queryset per product just
    to hold the rows: a tenth of a page of 100 products' time.
    """
    return Prefetch(
        "images", queryset=ProductImage.objects.order_by(*IMAGE_ORDER), to_attr="image_list"
    )


def product_images(product: Product) -> list[ProductImage]:
    """The product's images in order: prefetched by `product_images_prefetch()`, else read
    once (one query) and kept on the instance."""
    images = getattr(product, "image_list", None)
    if images is None:
        images = product.image_list = list(product.images.order_by(*IMAGE_ORDER))
    return images


def product_modifier_links_prefetch() -> Prefetch:
    """The products' modifier groups in their order, as `product.modifier_link_list`."""
    return Prefetch(
        "modifier_links",
        queryset=ProductModifierGroup.objects.order_by("sort_order", "pk").only(
            "pk", "product_id", "group_id", "sort_order"
        ),
        to_attr="modifier_link_list",
    )


def product_modifier_group_ids(product: Product) -> list[int]:
    """The ids of the product's modifier groups in order: prefetched by
    `product_modifier_links_prefetch()` (or read by `product_rows()`), else read once (one
    query)."""
    ids = getattr(product, "modifier_group_id_list", None)
    if ids is not None:
        return ids
    links = getattr(product, "modifier_link_list", None)
    if links is None:
        links = product.modifier_link_list = list(
            ProductModifierGroup.objects.filter(product=product).order_by("sort_order", "pk")
        )
    return [link.group_id for link in links]


class ProductRow(SimpleNamespace):
    """A product of the staff list read as selected columns: what `ProductSerializer` reads of
    a `Product` (a model instance per row costs a fifth of a 100-row page)."""

    @property
    def pk(self) -> int:
        return self.id

    is_low_on_stock = Product.is_low_on_stock  # the model's own rule, on these columns


# The columns `ProductSerializer` shows (category as its id, its name from the join).
PRODUCT_ROW_COLUMNS = (
    "id",
    "name",
    "description",
    "product_type",
    "category_id",
    "category_name",
    "sku",
    "barcode",
    "base_price",
    "tax_percent",
    "service_charge_percent",
    "track_stock",
    "stock",
    "low_stock_threshold",
    "is_available",
    "is_active",
    "sort_order",
    "created_at",
    "updated_at",
)


def product_row_values(queryset: QuerySet[Product]) -> QuerySet:
    """The staff list's rows as dicts of `PRODUCT_ROW_COLUMNS` (filter and order first; page
    it, then give the page to `product_rows()`)."""
    queryset = queryset.prefetch_related(None)
    if "category_name" not in queryset.query.annotations:
        queryset = with_category_name(queryset)
    return queryset.values(*PRODUCT_ROW_COLUMNS)


def product_rows(values: list[dict]) -> list[ProductRow]:
    """A page of `product_row_values()` as rows with their images (`image_list`) and modifier
    group ids, each read by product id in one query: no model instances, no prefetch."""
    rows = [ProductRow(**value) for value in values]
    by_id = {row.id: row for row in rows}
    for row in rows:
        row.image_list = []
        row.modifier_group_id_list = []
    if not rows:
        return rows
    storage = ProductImage._meta.get_field("file").storage
    images = (
        ProductImage.objects.filter(product_id__in=list(by_id))
        .order_by(*IMAGE_ORDER)
        .values_list("product_id", "id", "kind", "file", "width", "height", "size", "sort_order")
    )
    for product_id, pk, kind, name, width, height, size, sort_order in images:
        by_id[product_id].image_list.append(
            SimpleNamespace(
                id=pk,
                pk=pk,
                kind=kind,
                url=storage.url(name) if name else "",  # ProductImage.url
                width=width,
                height=height,
                size=size,
                sort_order=sort_order,
            )
        )
    links = (
        ProductModifierGroup.objects.filter(product_id__in=list(by_id))
        .order_by("sort_order", "pk")
        .values_list("product_id", "group_id")
    )
    for product_id, group_id in links:
        by_id[product_id].modifier_group_id_list.append(group_id)
    return rows


def product_menu_modifier_groups(products: list[Product]) -> dict[int, list[ModifierGroup]]:
    """For the public menu: each product's active groups in order, each group with its active
    options in order as `group.menu_options`; one query for a whole page. A group with no
    active option is left out (nothing could be chosen from it)."""
    by_product: dict[int, dict[int, ModifierGroup]] = {product.pk: {} for product in products}
    if not products:
        return {}
    options = (
        ModifierOption.objects.filter(
            is_active=True,
            group__is_active=True,
            group__product_links__product_id__in=list(by_product),
        )
        .select_related("group")
        .annotate(
            menu_product_id=F("group__product_links__product_id"),
            menu_link_order=F("group__product_links__sort_order"),
            menu_link_id=F("group__product_links__pk"),
        )
        .order_by("menu_product_id", "menu_link_order", "menu_link_id", "sort_order", "pk")
    )
    for option in options:
        groups = by_product[option.menu_product_id]
        group = groups.get(option.group_id)
        if group is None:
            group = groups[option.group_id] = option.group
            group.menu_options = []
        group.menu_options.append(option)
    return {pk: list(groups.values()) for pk, groups in by_product.items()}


def with_category_name(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """Each product's `category_name` from a join, for lists: they show only the name, and a
    category object per product would cost more than the rest of its row."""
    return queryset.annotate(category_name=F("category__name"))


def low_stock_q() -> Q:
    """Tracked stock at or below the product's threshold (no threshold: never low)."""
    return Q(
        track_stock=True, low_stock_threshold__isnull=False, stock__lte=F("low_stock_threshold")
    )


def product_filter_low_stock(queryset: QuerySet[Product], *, low: bool) -> QuerySet[Product]:
    """The products of `queryset` low on stock, or with `low=False` every other one."""
    matching = queryset.filter(low_stock_q())
    return matching if low else queryset.exclude(pk__in=matching.values("pk"))


def product_list_low_stock(*, merchant: Merchant) -> QuerySet[Product]:
    """Active products running out, emptiest first (stock, then how far below the threshold)."""
    return Product.objects.filter(low_stock_q(), merchant=merchant, is_active=True).order_by(
        "stock", F("stock") - F("low_stock_threshold"), "name", "pk"
    )


SOLD_PER_DAY_WINDOW = 7  # days of sales behind "sold per day"


def product_sold_per_day(
    *, merchant: Merchant, product_ids, now=None, days: int = SOLD_PER_DAY_WINDOW
) -> dict[int, Decimal]:
    """Units each product sold per day over the last `days` days, read from the stock ledger:
    `sale` movements less the units voided or cancelled back (one query)."""
    since = (now or timezone.now()) - timedelta(days=days)
    rows = (
        StockMovement.objects.filter(
            merchant=merchant,
            product_id__in=list(product_ids),
            kind__in=(StockMovement.Kind.SALE, StockMovement.Kind.VOID, StockMovement.Kind.CANCEL),
            created_at__gte=since,
        )
        .order_by()
        .values("product_id")
        .annotate(net=Sum("delta"))
    )
    return {
        row["product_id"]: (Decimal(max(-row["net"], 0)) / days).quantize(Decimal("0.1"))
        for row in rows
    }


def days_of_stock_left(stock: int, per_day: Decimal | None) -> Decimal | None:
    """How many days the stock lasts at that pace (None when nothing sold)."""
    if not per_day:
        return None
    return (Decimal(stock) / per_day).quantize(Decimal("0.1"))


def merchant_ids_with_low_stock() -> list[int]:
    """Active merchants with at least one active product running out (for the daily alert)."""
    return list(
        Product.objects.filter(low_stock_q(), is_active=True, merchant__is_active=True)
        .order_by("merchant_id")
        .values_list("merchant_id", flat=True)
        .distinct()
    )


def product_get_by_barcode(*, merchant: Merchant, barcode: str) -> Product:
    """The scanner lookup: one query on the (merchant, barcode) unique index."""
    barcode = (barcode or "").strip()
    if not barcode:
        raise NotFound(gettext("Give the scanned code as ?barcode=…"))
    # A scanner never sends control characters; PostgreSQL cannot even compare a NUL byte.
    if len(barcode) > BARCODE_MAX_LENGTH or not barcode.isprintable():
        raise DomainError(
            gettext(
                "A barcode is at most %(barcode_max_length)s printable characters; scan it again."
            )
            % {"barcode_max_length": BARCODE_MAX_LENGTH},
            details={"barcode": [gettext("not a barcode")]},
        )
    product = (
        Product.objects.filter(merchant=merchant, barcode=barcode)
        .select_related("category")
        .first()
    )
    if product is None:
        raise NotFound(
            gettext(
                "No product with barcode %(barcode)s here. Check the code or add it to a product."
            )
            % {"barcode": barcode}
        )
    return product


def public_merchant_get(*, slug: str) -> Merchant:
    merchant = Merchant.objects.filter(slug=slug, is_active=True).first()
    if merchant is None:
        raise NotFound(gettext("There is no shop '%(slug)s'.") % {"slug": slug})
    return merchant


def public_category_list(*, merchant: Merchant) -> QuerySet[ProductCategory]:
    return ProductCategory.objects.filter(merchant=merchant, is_active=True)


def public_product_list(*, merchant: Merchant) -> QuerySet[Product]:
    """What a customer may order: active, available, in no switched-off category."""
    visible = Product.objects.filter(merchant=merchant, is_active=True, is_available=True).filter(
        Q(category__isnull=True) | Q(category__is_active=True)
    )
    return with_category_name(visible).prefetch_related(product_images_prefetch())


def public_promotion_list(*, merchant: Merchant, at=None) -> QuerySet[Promotion]:
    """Promotions running now, each with only the products a customer can see."""
    visible = PromotionItem.objects.filter(
        product__is_active=True, product__is_available=True
    ).filter(Q(product__category__isnull=True) | Q(product__category__is_active=True))
    return (
        Promotion.objects.filter(merchant=merchant)
        .running(at or timezone.now())
        .filter(items__in=visible)
        .distinct()
        .prefetch_related(Prefetch("items", queryset=visible, to_attr="visible_items"))
        .order_by("ends_at", "pk")
    )


def public_table_list(*, merchant: Merchant) -> QuerySet[TableLocation]:
    return TableLocation.objects.filter(merchant=merchant, is_active=True).order_by("number")
