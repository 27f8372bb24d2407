"""What a merchant sells: categories, products and their images, promotions, the stock ledger
(`StockMovement`, `LowStockAlert`; changed only through catalog/stock.py) and modifier groups.

Longer than 500 lines on purpose: Django finds an app's models in `models.py`, and these models
are one graph around `Product` (its category, images, promotions, stock ledger and modifier
groups, most checking that what they point to is of the same merchant); a `models/` package
would only add imports between its files.
"""

import posixpath
import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from merchants.models import PERCENT_VALIDATORS, TenantModel, TimeStampedModel
from merchants.money import fits_currency, precision_rule


class ProductCategory(TenantModel):
    name = models.CharField(max_length=80, verbose_name=gettext_lazy("name"))
    description = models.CharField(
        max_length=255, blank=True, verbose_name=gettext_lazy("description")
    )
    sort_order = models.PositiveIntegerField(
        default=0,
        help_text=gettext_lazy("Lower numbers come first."),
        verbose_name=gettext_lazy("sort order"),
    )
    is_active = models.BooleanField(default=True, verbose_name=gettext_lazy("is active"))

    class Meta:
        verbose_name = gettext_lazy("product category")
        verbose_name_plural = gettext_lazy("product categories")
        ordering = ["sort_order", "name"]
        constraints = [
            models.UniqueConstraint(
                "merchant",
                Lower("name"),
                name="category_unique_name",
                violation_error_message=gettext_lazy("A category with this name already exists."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Product(TenantModel):
    class Type(models.TextChoices):
        GOODS = "goods", gettext_lazy("Goods")
        SERVICE = "service", gettext_lazy("Service")

    category = models.ForeignKey(
        ProductCategory,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="products",
        verbose_name=gettext_lazy("category"),
    )
    name = models.CharField(max_length=120, verbose_name=gettext_lazy("name"))
    description = models.TextField(blank=True, verbose_name=gettext_lazy("description"))
    product_type = models.CharField(
        max_length=10,
        choices=Type.choices,
        default=Type.GOODS,
        verbose_name=gettext_lazy("product type"),
    )
    # Optional codes: NULL when absent, so "unique per merchant" only applies to real codes.
    sku = models.CharField("SKU", max_length=64, null=True, blank=True)
    barcode = models.CharField(
        max_length=64, null=True, blank=True, verbose_name=gettext_lazy("barcode")
    )
    base_price = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
        verbose_name=gettext_lazy("base price"),
    )
    tax_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=PERCENT_VALIDATORS,
        verbose_name=gettext_lazy("tax percent"),
    )
    service_charge_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=PERCENT_VALIDATORS,
        verbose_name=gettext_lazy("service charge percent"),
    )
    track_stock = models.BooleanField(
        default=False,
        help_text=gettext_lazy("Count stock down on every order; refuse orders beyond it."),
        verbose_name=gettext_lazy("track stock"),
    )
    stock = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("stock"))
    low_stock_threshold = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=gettext_lazy("Warn when stock falls to this level (blank: never)."),
        verbose_name=gettext_lazy("low stock threshold"),
    )
    is_available = models.BooleanField(
        default=True,
        help_text=gettext_lazy("Off: shown to staff, hidden from customers (e.g. sold out today)."),
        verbose_name=gettext_lazy("is available"),
    )
    is_active = models.BooleanField(
        default=True,
        help_text=gettext_lazy("Off: retired from the catalog."),
        verbose_name=gettext_lazy("is active"),
    )
    sort_order = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("sort order"))
    modifier_groups = models.ManyToManyField(
        "ModifierGroup",
        through="ProductModifierGroup",
        related_name="products",
        blank=True,
        verbose_name=gettext_lazy("modifier groups"),
    )

    class Meta:
        verbose_name = gettext_lazy("product")
        verbose_name_plural = gettext_lazy("products")
        ordering = ["sort_order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "sku"],
                name="product_unique_sku",
                violation_error_message=gettext_lazy("Another product already has this SKU."),
            ),
            # Also the index behind the scanner lookup (merchant, barcode).
            models.UniqueConstraint(
                fields=["merchant", "barcode"],
                name="product_unique_barcode",
                violation_error_message=gettext_lazy("Another product already has this barcode."),
            ),
            models.CheckConstraint(condition=Q(stock__gte=0), name="product_stock_not_negative"),
            models.CheckConstraint(
                condition=Q(base_price__gte=0), name="product_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(tax_percent__gte=0, tax_percent__lte=100),
                name="product_tax_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(service_charge_percent__gte=0, service_charge_percent__lte=100),
                name="product_service_percent_range",
            ),
        ]
        indexes = [
            models.Index(fields=["merchant", "is_active", "is_available"], name="product_menu"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        self.sku = (self.sku or "").strip() or None
        self.barcode = (self.barcode or "").strip() or None
        self.name = (self.name or "").strip()
        errors = {}
        merchant = getattr(self, "merchant", None) if self.merchant_id else None
        if (
            merchant is not None
            and self.base_price is not None
            and not fits_currency(self.base_price, merchant.currency)
        ):
            errors["base_price"] = precision_rule(merchant.currency, what="Prices")
        if self.category_id and merchant is not None and self.category.merchant_id != merchant.pk:
            errors["category"] = gettext("This category belongs to another merchant.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_low_on_stock(self) -> bool:
        return (
            self.track_stock
            and self.low_stock_threshold is not None
            and self.stock <= self.low_stock_threshold
        )

    # `stock` always equals the sum of the product's StockMovements. Sales and voids change it
    # through catalog.stock; a form, the API or an import that saves the product with a new
    # number is a count (a movement of the difference), and a save that left the number as
    # loaded never writes it, so a stale form cannot undo sales made meanwhile.

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stock_as_loaded = instance.__dict__.get("stock")
        return instance

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        self._stock_as_loaded = self.__dict__.get("stock")

    def save(self, *args, stock_actor=None, stock_reason: str = "", **kwargs):
        """Save the product; a stock number changed since it was loaded (or given to a new
        product) is written with its `count` movement, naming `stock_actor` (a user)."""
        from catalog.stock import stock_saved_with_product

        stock_saved_with_product(
            self,
            lambda **extra: super(Product, self).save(*args, **{**kwargs, **extra}),
            update_fields=kwargs.get("update_fields"),
            actor_user=stock_actor,
            reason=stock_reason,
        )


def product_image_path(instance: "ProductImage", filename: str) -> str:
    """merchants/{merchant}/products/{product}/{kind}-{random}.{ext}; the name is ours."""
    extension = posixpath.splitext(filename)[1].lower() or ".jpg"
    product = instance.product
    return (
        f"merchants/{product.merchant_id}/products/{product.pk}/"
        f"{instance.kind}-{secrets.token_hex(8)}{extension}"
    )


class ProductImage(TimeStampedModel):
    class Kind(models.TextChoices):
        THUMBNAIL = "thumbnail", gettext_lazy("Thumbnail")
        DETAIL = "detail", gettext_lazy("Detail")

    product = models.ForeignKey(
        Product,
        on_delete=models.CASCADE,
        related_name="images",
        verbose_name=gettext_lazy("product"),
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, verbose_name=gettext_lazy("kind"))
    file = models.FileField(
        upload_to=product_image_path, max_length=255, verbose_name=gettext_lazy("file")
    )
    width = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("width"))
    height = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("height"))
    size = models.PositiveIntegerField(
        default=0, help_text=gettext_lazy("Bytes."), verbose_name=gettext_lazy("size")
    )
    sort_order = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("sort order"))

    merchant_lookup = "product__merchant"

    class Meta:
        verbose_name = gettext_lazy("product image")
        verbose_name_plural = gettext_lazy("product images")
        ordering = ["product", "kind", "sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["product"],
                condition=Q(kind="thumbnail"),
                name="product_image_one_thumbnail",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.product}"

    @property
    def url(self) -> str:
        return self.file.url if self.file else ""


class PromotionQuerySet(models.QuerySet):
    def running(self, at=None):
        """Active promotions whose window contains `at` (now by default)."""
        at = at or timezone.now()
        return self.filter(is_active=True, starts_at__lte=at, ends_at__gt=at)


class Promotion(TenantModel):
    class DiscountType(models.TextChoices):
        PERCENT = "percent", gettext_lazy("Percent off")
        NOMINAL = "nominal", gettext_lazy("Amount off")
        OVERRIDE_PRICE = "override_price", gettext_lazy("Fixed price")

    name = models.CharField(max_length=120, verbose_name=gettext_lazy("name"))
    description = models.TextField(blank=True, verbose_name=gettext_lazy("description"))
    discount_type = models.CharField(
        max_length=20, choices=DiscountType.choices, verbose_name=gettext_lazy("discount type")
    )
    value = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
        help_text=gettext_lazy(
            "Percent (0-100), an amount off, or the fixed price, by discount type."
        ),
        verbose_name=gettext_lazy("value"),
    )
    starts_at = models.DateTimeField(db_index=True, verbose_name=gettext_lazy("starts at"))
    ends_at = models.DateTimeField(db_index=True, verbose_name=gettext_lazy("ends at"))
    is_active = models.BooleanField(default=True, verbose_name=gettext_lazy("is active"))
    products = models.ManyToManyField(
        Product,
        through="PromotionItem",
        related_name="promotions",
        blank=True,
        verbose_name=gettext_lazy("products"),
    )

    objects = PromotionQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("promotion")
        verbose_name_plural = gettext_lazy("promotions")
        ordering = ["-starts_at", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="promotion_value_not_negative"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="promotion_ends_after_start",
                violation_error_message=gettext_lazy("The promotion must end after it starts."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        errors = {}
        if (
            self.discount_type == self.DiscountType.PERCENT
            and self.value is not None
            and self.value > 100
        ):
            errors["value"] = gettext("A percent discount is at most 100.")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = gettext("The promotion must end after it starts.")
        if errors:
            raise ValidationError(errors)

    def is_running(self, at=None) -> bool:
        at = at or timezone.now()
        return self.is_active and self.starts_at <= at < self.ends_at


class PromotionItem(TimeStampedModel):
    promotion = models.ForeignKey(
        Promotion,
        on_delete=models.CASCADE,
        related_name="items",
        verbose_name=gettext_lazy("promotion"),
    )
    product = models.ForeignKey(
        Product,
        on_delete=models.CASCADE,
        related_name="promotion_items",
        verbose_name=gettext_lazy("product"),
    )

    merchant_lookup = "promotion__merchant"

    class Meta:
        verbose_name = gettext_lazy("promotion item")
        verbose_name_plural = gettext_lazy("promotion items")
        constraints = [
            models.UniqueConstraint(fields=["promotion", "product"], name="promotion_item_unique")
        ]

    def __str__(self) -> str:
        return f"{self.product} in {self.promotion}"


class StockMovement(TenantModel):
    """One change of a product's stock, append-only: the ledger that says why stock is what it
    is. A product's `stock` equals the sum of its movements (`manage.py stock_audit` checks).

    Orders are named by id only (catalog does not depend on orders)."""

    class Kind(models.TextChoices):
        SALE = "sale", gettext_lazy("Sale")
        VOID = "void", gettext_lazy("Line voided")
        CANCEL = "cancel", gettext_lazy("Order cancelled")
        ADJUSTMENT = "adjustment", gettext_lazy("Adjustment")
        RESTOCK = "restock", gettext_lazy("Restock")
        COUNT = "count", gettext_lazy("Stock count")

    merchant = models.ForeignKey(
        "merchants.Merchant",
        on_delete=models.CASCADE,
        related_name="stock_movements",
        verbose_name=gettext_lazy("merchant"),
    )
    product = models.ForeignKey(
        Product,
        on_delete=models.CASCADE,
        related_name="stock_movements",
        verbose_name=gettext_lazy("product"),
    )
    delta = models.IntegerField(
        help_text=gettext_lazy("Units added (positive) or taken (negative)."),
        verbose_name=gettext_lazy("change"),
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, verbose_name=gettext_lazy("kind"))
    reason = models.CharField(max_length=255, blank=True, verbose_name=gettext_lazy("reason"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=gettext_lazy("Who changed it (blank: the system)."),
        verbose_name=gettext_lazy("by"),
    )
    actor_label = models.CharField(
        max_length=150, blank=True, verbose_name=gettext_lazy("by (name)")
    )
    order_id = models.PositiveBigIntegerField(
        null=True, blank=True, verbose_name=gettext_lazy("order id")
    )
    order_line_id = models.PositiveBigIntegerField(
        null=True, blank=True, verbose_name=gettext_lazy("order line id")
    )

    class Meta:
        verbose_name = gettext_lazy("stock movement")
        verbose_name_plural = gettext_lazy("stock movements")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["product", "-created_at"], name="stock_movement_product"),
            # Units sold per day (dashboard, low-stock alerts) read sale movements by merchant.
            models.Index(fields=["merchant", "kind", "created_at"], name="stock_movement_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.delta:+d} ({self.kind})"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Stock movements are append-only.")
        super().save(*args, **kwargs)


class LowStockAlert(TenantModel):
    """The low-stock email of one merchant for one local day: the row is claimed (created)
    before sending, so however often the task runs or is redelivered, owners get one a day."""

    merchant = models.ForeignKey(
        "merchants.Merchant",
        on_delete=models.CASCADE,
        related_name="low_stock_alerts",
        verbose_name=gettext_lazy("merchant"),
    )
    day = models.DateField(
        help_text=gettext_lazy("The merchant's local date."), verbose_name=gettext_lazy("day")
    )
    product_count = models.PositiveIntegerField(
        default=0, verbose_name=gettext_lazy("product count")
    )
    recipient_count = models.PositiveIntegerField(
        default=0, verbose_name=gettext_lazy("recipient count")
    )
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("sent at"))

    class Meta:
        verbose_name = gettext_lazy("low stock alert")
        verbose_name_plural = gettext_lazy("low stock alerts")
        ordering = ["-day", "merchant"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "day"], name="low_stock_alert_one_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.merchant} · {self.day}: {self.product_count} low"


class ModifierGroup(TenantModel):
    """Choices a product is sold with: a size (choose exactly one), add-ons (choose up to N).

    An order line names the options it takes; the server checks `min_select` ≤ chosen ≤
    `max_select` for each of the product's groups and adds each option's `price_delta` to the
    unit price (promotions apply to the product's base price only).
    """

    name = models.CharField(max_length=80, verbose_name=gettext_lazy("name"))
    min_select = models.PositiveSmallIntegerField(
        default=0,
        help_text=gettext_lazy("How many options must be chosen at least (1 for a size)."),
        verbose_name=gettext_lazy("min select"),
    )
    max_select = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1)],
        help_text=gettext_lazy("How many options may be chosen at most."),
        verbose_name=gettext_lazy("max select"),
    )
    sort_order = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("sort order"))
    is_active = models.BooleanField(
        default=True,
        help_text=gettext_lazy("Off: not offered on any product."),
        verbose_name=gettext_lazy("is active"),
    )

    class Meta:
        verbose_name = gettext_lazy("modifier group")
        verbose_name_plural = gettext_lazy("modifier groups")
        ordering = ["sort_order", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_select__gte=1) & Q(max_select__gte=models.F("min_select")),
                name="modifier_group_select_range",
                violation_error_message=gettext_lazy(
                    "max_select must be at least 1 and at least min_select."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        self.name = (self.name or "").strip()
        if (
            self.min_select is not None
            and self.max_select is not None
            and self.min_select > self.max_select
        ):
            raise ValidationError(
                {
                    "max_select": gettext(
                        "At least min_select (%(min_select)s); got %(max_select)s."
                    )
                    % {"min_select": self.min_select, "max_select": self.max_select}
                }
            )

    def rule_text(self) -> str:
        """How many to choose, for people: "choose 1", "choose up to 3", "choose 1 to 2"."""
        low, high = self.min_select, self.max_select
        if low == high:
            return f"choose {low}"
        if low == 0:
            return f"choose up to {high}"
        return f"choose {low} to {high}"


class ModifierOption(TimeStampedModel):
    group = models.ForeignKey(
        ModifierGroup,
        on_delete=models.CASCADE,
        related_name="options",
        verbose_name=gettext_lazy("group"),
    )
    name = models.CharField(max_length=80, verbose_name=gettext_lazy("name"))
    price_delta = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
        help_text=gettext_lazy("Added to the unit price when chosen (0 for a free choice)."),
        verbose_name=gettext_lazy("price delta"),
    )
    sort_order = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("sort order"))
    is_active = models.BooleanField(
        default=True,
        help_text=gettext_lazy("Off: not offered (sold out)."),
        verbose_name=gettext_lazy("is active"),
    )

    merchant_lookup = "group__merchant"

    class Meta:
        verbose_name = gettext_lazy("modifier option")
        verbose_name_plural = gettext_lazy("modifier options")
        ordering = ["group", "sort_order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_delta__gte=0), name="modifier_option_delta_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group.name}: {self.name}" if self.group_id else self.name

    def clean(self):
        super().clean()
        self.name = (self.name or "").strip()
        merchant = self.group.merchant if self.group_id else None
        if (
            merchant is not None
            and self.price_delta is not None
            and not fits_currency(self.price_delta, merchant.currency)
        ):
            raise ValidationError({"price_delta": precision_rule(merchant.currency, what="Prices")})


class ProductModifierGroup(TimeStampedModel):
    """A product offers a group, in this order among its groups."""

    product = models.ForeignKey(
        Product,
        on_delete=models.CASCADE,
        related_name="modifier_links",
        verbose_name=gettext_lazy("product"),
    )
    group = models.ForeignKey(
        ModifierGroup,
        on_delete=models.CASCADE,
        related_name="product_links",
        verbose_name=gettext_lazy("group"),
    )
    sort_order = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("sort order"))

    merchant_lookup = "product__merchant"

    class Meta:
        verbose_name = gettext_lazy("product modifier group")
        verbose_name_plural = gettext_lazy("product modifier groups")
        ordering = ["product", "sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["product", "group"], name="product_modifier_unique")
        ]

    def __str__(self) -> str:
        return f"{self.group} on {self.product}"

    def clean(self):
        super().clean()
        if self.product_id and self.group_id and self.product.merchant_id != self.group.merchant_id:
            raise ValidationError({"group": gettext("This group belongs to another merchant.")})
