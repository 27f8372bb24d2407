"""Serializers of the catalog API: the staff's (categories, products, images, promotions,
modifiers, stock) and the public menu's (`Public*`), which shows the same products.

Longer than 500 lines on purpose: the staff and public product serializers share one pricing
mixin and one quoted list (every product priced after promotions in one query), and keeping
both sides here keeps a public field from drifting from the staff one it mirrors.
"""

from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import (
    ModifierGroup,
    ModifierOption,
    Product,
    ProductCategory,
    ProductImage,
    Promotion,
    StockMovement,
)
from catalog.pricing import PriceQuote, product_final_price, product_final_prices
from catalog.selectors import (
    product_images,
    product_menu_modifier_groups,
    product_modifier_group_ids,
)
from catalog.services import modifier_group_save, product_set_modifier_groups, promotion_save
from catalog.stock import StockKind, stock_adjust
from merchants.actors import Actor
from merchants.api.base import (
    MAX_ID,
    MerchantScopedModelSerializer,
    ModelRulesMixin,
    ModelSerializer,
    money_field,
)
from merchants.api.rows import fast_rows
from merchants.models import TableLocation
from merchants.tenancy import scope_to_merchant


class ProductCategorySerializer(ModelRulesMixin, MerchantScopedModelSerializer):
    product_count = serializers.SerializerMethodField()

    class Meta:
        model = ProductCategory
        fields = [
            "id",
            "name",
            "description",
            "sort_order",
            "is_active",
            "product_count",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def get_product_count(self, category) -> int:
        # Lists annotate the count; a freshly written category is counted on demand.
        count = getattr(category, "product_count", None)
        return count if count is not None else category.products.count()


class ProductImageSerializer(ModelSerializer):
    url = serializers.CharField(
        read_only=True, help_text=gettext_lazy("Where the image is served.")
    )

    class Meta:
        model = ProductImage
        fields = ["id", "kind", "url", "width", "height", "size", "sort_order"]
        read_only_fields = fields


class ProductImageListSerializer(serializers.ListSerializer):
    """A product's images, as `product_images()` gives them (prefetched, else one query)."""

    def get_attribute(self, instance):
        return product_images(instance)


class PromotionBriefSerializer(ModelSerializer):
    class Meta:
        model = Promotion
        fields = ["id", "name", "discount_type", "value", "ends_at"]
        read_only_fields = fields


class QuotedProductListSerializer(serializers.ListSerializer):
    """Prices a whole page of products with one promotions query (no N+1)."""

    def to_representation(self, data):
        products = list(data.all() if hasattr(data, "all") else data)
        merchant = self.context.get("merchant")
        self.child.context["quotes"] = product_final_prices(
            products=products,
            at=self.context.get("at"),
            currency=merchant.currency if merchant else None,
        )
        return fast_rows(self.child, products)  # DRF's JSON without its per-field work


class CategoryNameField(serializers.CharField):
    """The product's category name: annotated on lists (`selectors.with_category_name`), else
    read through its category."""

    def get_attribute(self, product):
        if hasattr(product, "category_name"):
            return product.category_name
        return product.category.name if product.category_id else None


class ProductPricingMixin(serializers.Serializer):
    """Price now, promotion, category name and thumbnail: what staff and customers both see."""

    category_name = CategoryNameField(read_only=True, allow_null=True)
    final_price = serializers.SerializerMethodField()
    promotion = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    def _quote(self, product: Product) -> PriceQuote:
        quotes = self.context.setdefault("quotes", {})
        if product.pk not in quotes:
            merchant = self.context.get("merchant")
            quotes[product.pk] = product_final_price(
                product=product,
                at=self.context.get("at"),
                currency=merchant.currency if merchant else None,
            )
        return quotes[product.pk]

    @extend_schema_field(
        money_field(help_text=gettext_lazy("Unit price now, after the best promotion."))
    )
    def get_final_price(self, product) -> str:
        return str(self._quote(product).final)

    @extend_schema_field(PromotionBriefSerializer(allow_null=True))
    def get_promotion(self, product):
        promotion = self._quote(product).promotion
        if promotion is None:
            return None
        # One promotion often covers many products of a page: represent it once.
        briefs = self.context.setdefault("promotion_briefs", {})
        if promotion.pk not in briefs:
            briefs[promotion.pk] = PromotionBriefSerializer(promotion).data
        return briefs[promotion.pk]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_thumbnail_url(self, product) -> str | None:
        for image in product_images(product):
            if image.kind == ProductImage.Kind.THUMBNAIL:
                return image.url
        return None


class ModifierOptionSerializer(ModelSerializer):
    id = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text=gettext_lazy("Send it to keep (and edit) an option; leave it out to add one."),
    )
    price_delta = money_field(
        min_value=0, required=False, help_text=gettext_lazy("Added to the unit price.")
    )

    class Meta:
        model = ModifierOption
        fields = ["id", "name", "price_delta", "is_active"]


class ModifierGroupSerializer(MerchantScopedModelSerializer):
    options = ModifierOptionSerializer(
        many=True,
        required=False,
        help_text=gettext_lazy(
            "The group's options in order; replaced as a whole when sent (options left "
            "out are deleted)."
        ),
    )

    class Meta:
        model = ModifierGroup
        fields = [
            "id",
            "name",
            "min_select",
            "max_select",
            "sort_order",
            "is_active",
            "options",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        low = attrs.get("min_select", getattr(self.instance, "min_select", 0))
        high = attrs.get("max_select", getattr(self.instance, "max_select", 1))
        if high < max(low, 1):
            raise serializers.ValidationError(
                {
                    "max_select": gettext(
                        "At least 1 and at least min_select (%(low)s); got %(high)s."
                    )
                    % {"low": low, "high": high}
                }
            )
        return attrs

    def _save(self, validated_data, group=None):
        options = validated_data.pop("options", None)
        validated_data.pop("merchant", None)
        return modifier_group_save(
            merchant=self.context["merchant"], group=group, options=options, **validated_data
        )

    def create(self, validated_data):
        return self._save(validated_data)

    def update(self, instance, validated_data):
        return self._save(validated_data, group=instance)


@extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
class ModifierGroupIdsField(serializers.Field):
    """A product's modifier groups as ids, in the order the product offers them."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            "Modifier groups offered with this product, in order (replaced as a whole when sent).",
        )
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        return instance

    def to_representation(self, value) -> list[int]:
        return product_modifier_group_ids(value)

    def to_internal_value(self, data):
        child = serializers.IntegerField(min_value=1, max_value=MAX_ID)
        if not isinstance(data, list):
            raise serializers.ValidationError(gettext("A list of modifier group ids."))
        return [child.run_validation(item) for item in data]


class ProductSerializer(ProductPricingMixin, ModelRulesMixin, MerchantScopedModelSerializer):
    base_price = money_field(min_value=0)
    tax_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )
    service_charge_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )
    sku = serializers.CharField(max_length=64, required=False, allow_blank=True, allow_null=True)
    barcode = serializers.CharField(
        max_length=64, required=False, allow_blank=True, allow_null=True
    )
    images = ProductImageListSerializer(child=ProductImageSerializer(), read_only=True)
    is_low_on_stock = serializers.BooleanField(read_only=True)
    modifier_group_ids = ModifierGroupIdsField()

    class Meta:
        model = Product
        list_serializer_class = QuotedProductListSerializer
        fields = [
            "id",
            "name",
            "description",
            "product_type",
            "category",
            "category_name",
            "sku",
            "barcode",
            "base_price",
            "final_price",
            "promotion",
            "tax_percent",
            "service_charge_percent",
            "track_stock",
            "stock",
            "low_stock_threshold",
            "is_low_on_stock",
            "is_available",
            "is_active",
            "sort_order",
            "thumbnail_url",
            "images",
            "modifier_group_ids",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate_modifier_group_ids(self, ids: list[int]) -> list[ModifierGroup]:
        groups = scope_to_merchant(
            ModifierGroup.objects.filter(pk__in=ids), self.context["merchant"]
        )
        found = {group.pk: group for group in groups}
        missing = [pk for pk in ids if pk not in found]
        if missing:
            raise serializers.ValidationError(
                gettext("No such modifier group: %(join)s.")
                % {"join": ", ".join(map(str, missing))}
            )
        if len(set(ids)) != len(ids):
            raise serializers.ValidationError(gettext("A modifier group is listed twice."))
        return [found[pk] for pk in ids]

    def create(self, validated_data):
        groups = validated_data.pop("modifier_group_ids", None)
        merchant = self.context["merchant"]
        # A new product starts with the merchant's default tax and service charge.
        validated_data.setdefault("tax_percent", merchant.default_tax_percent)
        validated_data.setdefault("service_charge_percent", merchant.default_service_charge_percent)
        stock = validated_data.pop("stock", None)
        product = super().create(validated_data)
        if groups:
            product_set_modifier_groups(product=product, groups=groups)
        self._count_stock(product, stock)
        return product

    def _count_stock(self, product, stock) -> None:
        # A stock number sent with the product is a count: it goes through the ledger.
        if stock is not None and stock != product.stock:
            stock_adjust(
                product=product,
                actor=Actor.staff(self.context["request"].user),
                kind=StockKind.COUNT,
                counted=stock,
                reason="Stock set with the product",
            )

    def update(self, instance, validated_data):
        groups = validated_data.pop("modifier_group_ids", None)
        stock = validated_data.pop("stock", None)
        # The model rules ran on this instance with the new number; it is written as a count.
        instance.stock = getattr(instance, "_stock_as_loaded", instance.stock)
        product = super().update(instance, validated_data)
        self._count_stock(product, stock)
        if groups is not None:
            product_set_modifier_groups(product=product, groups=groups)
            product.__dict__.pop("modifier_link_list", None)  # read the new order back
        return product


class PromotionSerializer(ModelRulesMixin, MerchantScopedModelSerializer):
    value = money_field(min_value=0)
    product_ids = serializers.PrimaryKeyRelatedField(
        many=True,
        source="products",
        queryset=Product.objects.all(),
        required=False,
        help_text=gettext_lazy(
            "Products this promotion applies to (replaced as a whole on write)."
        ),
    )
    is_running = serializers.SerializerMethodField()

    class Meta:
        model = Promotion
        fields = [
            "id",
            "name",
            "description",
            "discount_type",
            "value",
            "starts_at",
            "ends_at",
            "is_active",
            "is_running",
            "product_ids",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_is_running(self, promotion) -> bool:
        return promotion.is_running()

    def create(self, validated_data):
        products = validated_data.pop("products", [])
        validated_data.pop("merchant", None)
        return promotion_save(
            merchant=self.context["merchant"], products=products, **validated_data
        )

    def update(self, instance, validated_data):
        products = validated_data.pop("products", None)
        return promotion_save(
            merchant=self.context["merchant"],
            promotion=instance,
            products=products,
            **validated_data,
        )


class ThumbnailUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=gettext_lazy("JPEG, PNG or WebP; at most 5 MB by default.")
    )


class DetailImagesUploadSerializer(serializers.Serializer):
    files = serializers.ListField(
        child=serializers.FileField(),
        help_text=gettext_lazy("Up to 3 JPEG, PNG or WebP files; at most 10 MB each by default."),
    )


class DetailImagesDeleteSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=False)


class DeletedCountSerializer(serializers.Serializer):
    deleted = serializers.IntegerField()


# --- public menu (no login) -----------------------------------------------------------------


class PublicCategorySerializer(ModelSerializer):
    class Meta:
        model = ProductCategory
        fields = ["id", "name", "description", "sort_order"]
        read_only_fields = fields


class PublicModifierOptionSerializer(ModelSerializer):
    price_delta = money_field(read_only=True)

    class Meta:
        model = ModifierOption
        fields = ["id", "name", "price_delta"]
        read_only_fields = fields


class PublicModifierGroupSerializer(ModelSerializer):
    options = PublicModifierOptionSerializer(many=True, read_only=True, source="menu_options")

    class Meta:
        model = ModifierGroup
        fields = ["id", "name", "min_select", "max_select", "options"]
        read_only_fields = fields


class PublicProductListSerializer(QuotedProductListSerializer):
    """A page of the menu: prices (one promotions query) and modifiers (one query)."""

    def to_representation(self, data):
        products = list(data.all() if hasattr(data, "all") else data)
        self.child.context["menu_modifiers"] = product_menu_modifier_groups(products)
        return super().to_representation(products)


class PublicProductSerializer(ProductPricingMixin, ModelSerializer):
    base_price = money_field(read_only=True)
    image_urls = serializers.SerializerMethodField()
    sold_out = serializers.SerializerMethodField()
    modifier_groups = serializers.SerializerMethodField()

    class Meta:
        model = Product
        list_serializer_class = PublicProductListSerializer
        fields = [
            "id",
            "name",
            "description",
            "product_type",
            "category",
            "category_name",
            "base_price",
            "final_price",
            "promotion",
            "tax_percent",
            "service_charge_percent",
            "sold_out",
            "thumbnail_url",
            "image_urls",
            "modifier_groups",
        ]
        read_only_fields = fields

    @extend_schema_field(PublicModifierGroupSerializer(many=True))
    def get_modifier_groups(self, product) -> list[dict]:
        groups = self.context.get("menu_modifiers")
        if groups is None:
            groups = self.context["menu_modifiers"] = product_menu_modifier_groups([product])
        return PublicModifierGroupSerializer(groups.get(product.pk, []), many=True).data

    def get_image_urls(self, product) -> list[str]:
        return [
            image.url for image in product_images(product) if image.kind == ProductImage.Kind.DETAIL
        ]

    def get_sold_out(self, product) -> bool:
        return product.track_stock and product.stock <= 0


class PublicPromotionSerializer(ModelSerializer):
    product_ids = serializers.SerializerMethodField()

    class Meta:
        model = Promotion
        fields = [
            "id",
            "name",
            "description",
            "discount_type",
            "value",
            "starts_at",
            "ends_at",
            "product_ids",
        ]
        read_only_fields = fields

    def get_product_ids(self, promotion) -> list[int]:
        return [item.product_id for item in promotion.visible_items]


class PublicTableSerializer(ModelSerializer):
    class Meta:
        model = TableLocation
        fields = ["id", "number", "name", "capacity", "zone"]
        read_only_fields = fields


class StockMovementSerializer(ModelSerializer):
    actor = serializers.CharField(source="actor_label", read_only=True)

    class Meta:
        model = StockMovement
        fields = [
            "id",
            "product",
            "delta",
            "kind",
            "reason",
            "actor",
            "order_id",
            "order_line_id",
            "created_at",
        ]
        read_only_fields = fields


class StockAdjustmentSerializer(serializers.Serializer):
    """Either `delta` (units added, or taken when negative) or `counted` (units on the shelf)."""

    delta = serializers.IntegerField(
        required=False,
        min_value=-1_000_000,
        max_value=1_000_000,
        help_text=gettext_lazy("Units +/-."),
    )
    counted = serializers.IntegerField(
        required=False, min_value=0, max_value=1_000_000, help_text=gettext_lazy("Units counted.")
    )
    kind = serializers.ChoiceField(
        choices=["adjustment", "restock", "count"],
        required=False,
        help_text=gettext_lazy("Default: count with `counted`, adjustment with `delta`."),
    )
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        has_delta, has_counted = "delta" in attrs, "counted" in attrs
        if has_delta == has_counted:
            raise serializers.ValidationError(
                {
                    "delta": gettext(
                        "Send either delta (units added or taken) or counted (units counted)."
                    )
                }
            )
        if has_delta and attrs["delta"] == 0:
            raise serializers.ValidationError({"delta": gettext("A delta of 0 changes nothing.")})
        attrs.setdefault("kind", "count" if has_counted else "adjustment")
        if has_counted and attrs["kind"] != "count":
            raise serializers.ValidationError({"kind": gettext("A counted number is a count.")})
        if has_delta and attrs["kind"] == "count":
            raise serializers.ValidationError(
                {"kind": gettext("A count sends counted, not delta.")}
            )
        return attrs
