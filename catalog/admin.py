"""The catalog's admin: categories, products (images inline, CSV import and export, stock take),
promotions, modifier groups and low-stock alerts.

Longer than 500 lines on purpose: Django's admin discovers an app's registrations in `admin.py`,
and `ProductAdmin` alone (CSV import, stock take, its actions) is two fifths of it; the small
admins around it would not be easier to find in files of their own.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Subquery
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from import_export.forms import ConfirmImportForm, ImportForm

from catalog import services
from catalog.models import (
    LowStockAlert,
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
from catalog.resources import ProductResource
from catalog.selectors import product_filter_low_stock
from merchants.actors import Actor
from merchants.admin_base import (
    MerchantScopedAdmin,
    MerchantScopedTabularInline,
    ReadOnlyPermissionsMixin,
    Role,
    merchant_ids_of,
)
from merchants.admin_display import money
from merchants.dashboard import admin_tenant
from merchants.errors import DomainError
from merchants.images import validate_image
from merchants.models import Merchant


@admin.register(ProductCategory)
class ProductCategoryAdmin(MerchantScopedAdmin):
    list_display = ("name", "merchant", "sort_order", "is_active")
    list_filter = ("merchant", "is_active")
    list_select_related = ("merchant",)
    list_editable = ("sort_order", "is_active")
    search_fields = ("name", "description")
    ordering = ("merchant", "sort_order", "name")


class ProductImageForm(forms.ModelForm):
    """An image of the product. Left on "Automatic", the first image becomes the thumbnail and
    the others detail images (ProductImageFormSet), so adding one works on the first save."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("Automatic")), *ProductImage.Kind.choices],
        help_text=_("Automatic: the thumbnail if the product has none yet, else a detail image."),
    )

    class Meta:
        model = ProductImage
        fields = ("kind", "file", "sort_order")

    def _get_validation_exclusions(self):
        # "Automatic" is decided by the formset, once every image of the product is known.
        excluded = super()._get_validation_exclusions()
        if not self.cleaned_data.get("kind"):
            excluded.add("kind")
        return excluded

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload and hasattr(upload, "content_type"):  # a new upload, not the stored file
            # The larger limit until the kind is known; a thumbnail is checked again below.
            limit = (
                settings.CATALOG_THUMBNAIL_MAX_BYTES
                if self.data.get(self.add_prefix("kind")) == ProductImage.Kind.THUMBNAIL
                else settings.CATALOG_DETAIL_IMAGE_MAX_BYTES
            )
            try:
                info = validate_image(upload, max_bytes=limit)
            except DomainError as error:
                raise ValidationError(error.message) from None
            self.instance.width, self.instance.height = info.width, info.height
            self.instance.size = info.file.size
            # Pillow's re-encoding is stored (never the upload's bytes), under our own name
            # with the real format's extension, as in the API.
            return info.file
        return upload


class ProductImageFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [
            form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        self._choose_kinds(kept)
        kinds = [form.cleaned_data.get("kind") for form in kept]
        if kinds.count(ProductImage.Kind.THUMBNAIL) > 1:
            raise ValidationError(_("A product has one thumbnail."))
        limit = settings.CATALOG_MAX_DETAIL_IMAGES
        if kinds.count(ProductImage.Kind.DETAIL) > limit:
            raise ValidationError(
                _("At most %(limit)s detail images per product.") % {"limit": limit}
            )

    @staticmethod
    def _choose_kinds(forms_kept) -> None:
        has_thumbnail = any(
            form.cleaned_data.get("kind") == ProductImage.Kind.THUMBNAIL for form in forms_kept
        )
        for form in forms_kept:
            if form.cleaned_data.get("kind"):
                continue
            kind = ProductImage.Kind.DETAIL if has_thumbnail else ProductImage.Kind.THUMBNAIL
            has_thumbnail = True
            form.cleaned_data["kind"] = form.instance.kind = kind
            if kind == ProductImage.Kind.THUMBNAIL and (
                form.instance.size > settings.CATALOG_THUMBNAIL_MAX_BYTES
            ):
                form.add_error(
                    "file",
                    _("A thumbnail is at most %(limit)s bytes; choose Detail or a smaller image.")
                    % {"limit": settings.CATALOG_THUMBNAIL_MAX_BYTES},
                )


class ProductImageInline(MerchantScopedTabularInline):
    model = ProductImage
    form = ProductImageForm
    formset = ProductImageFormSet
    extra = 0
    max_num = 4
    fields = ("preview", "kind", "file", "sort_order", "width", "height", "size")
    readonly_fields = ("preview", "width", "height", "size")

    @admin.display(description=gettext_lazy("Preview"))
    def preview(self, image):
        if not image or not image.file:
            return "—"
        return format_html('<img src="{}" alt="" style="max-height:60px">', image.url)


def _owner_merchants(request):
    if request.user.is_superuser:
        return Merchant.objects.filter(is_active=True)
    return Merchant.objects.filter(pk__in=merchant_ids_of(request, Role.OWNER))


class ProductImportForm(ImportForm):
    merchant = forms.ModelChoiceField(
        queryset=Merchant.objects.none(),
        help_text=gettext_lazy("The products are imported for this merchant."),
    )


class ProductConfirmImportForm(ConfirmImportForm):
    merchant = forms.ModelChoiceField(queryset=Merchant.objects.none(), widget=forms.HiddenInput)


class ThumbnailListFilter(admin.SimpleListFilter):
    title = gettext_lazy("thumbnail")
    parameter_name = "has_thumbnail"

    def lookups(self, request, model_admin):
        return (("yes", gettext("With thumbnail")), ("no", gettext("Without thumbnail")))

    def queryset(self, request, queryset):
        with_thumb = queryset.filter(images__kind=ProductImage.Kind.THUMBNAIL).values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=with_thumb)
        if self.value() == "no":
            return queryset.exclude(pk__in=with_thumb)
        return queryset


class LowStockListFilter(admin.SimpleListFilter):
    title = gettext_lazy("stock")
    parameter_name = "low_stock"

    def lookups(self, request, model_admin):
        return (("yes", gettext("Low on stock")), ("no", gettext("Not low")))

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return product_filter_low_stock(queryset, low=self.value() == "yes")
        return queryset


class ProductModifierGroupInline(MerchantScopedTabularInline):
    """The product's modifier groups and their order on the till and the menu."""

    model = ProductModifierGroup
    extra = 0
    fields = ("group", "sort_order")
    autocomplete_fields = ("group",)
    verbose_name = gettext_lazy("modifier group")
    verbose_name_plural = gettext_lazy("Modifier groups (sizes, sugar, add-ons), in order")


class StockMovementInline(ReadOnlyPermissionsMixin, MerchantScopedTabularInline):
    """The product's stock ledger, newest first (the latest 50; the API lists them all)."""

    model = StockMovement
    fields = ("created_at", "kind", "delta", "reason", "actor_label", "order_id", "order_line_id")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-created_at", "-pk")
    verbose_name_plural = gettext_lazy("Stock movements (latest 50)")
    shown = 50


class StockTakeForm(forms.Form):
    reason = forms.CharField(max_length=255, required=False, initial=gettext_lazy("Stock take"))

    def __init__(self, *args, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.products = list(products)
        for product in self.products:
            self.fields[f"counted_{product.pk}"] = forms.IntegerField(
                min_value=0, max_value=1_000_000, required=False, label=product.name
            )

    def rows(self):
        return [(product, self[f"counted_{product.pk}"]) for product in self.products]

    def counted(self) -> dict[int, int]:
        """Only the products a number was entered for: a blank line is not counted."""
        return {
            product.pk: self.cleaned_data[f"counted_{product.pk}"]
            for product in self.products
            if self.cleaned_data.get(f"counted_{product.pk}") is not None
        }


@admin.register(Product)
class ProductAdmin(ImportExportMixin, MerchantScopedAdmin):
    resource_classes = [ProductResource]
    import_form_class = ProductImportForm
    confirm_form_class = ProductConfirmImportForm
    list_display = (
        "thumbnail",
        "name",
        "merchant",
        "category",
        "sku",
        "price",
        "stock",
        "is_available",
        "is_active",
    )
    list_display_links = ("thumbnail", "name")
    list_filter = (
        "merchant",
        "category",
        "is_available",
        "is_active",
        "product_type",
        "track_stock",
        LowStockListFilter,
        ThumbnailListFilter,
    )
    list_select_related = ("merchant", "category")
    search_fields = ("name", "description", "sku", "barcode")
    autocomplete_fields = ("category",)
    inlines = [ProductImageInline, ProductModifierGroupInline, StockMovementInline]
    change_list_template = "admin/catalog/product/change_list.html"  # + the stock take link
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ("activate", "deactivate", "mark_available", "mark_unavailable")
    fieldsets = (
        (None, {"fields": ("merchant", "name", "description", "product_type", "category")}),
        (gettext_lazy("Codes"), {"fields": ("sku", "barcode")}),
        (
            gettext_lazy("Price"),
            {"fields": ("base_price", "tax_percent", "service_charge_percent")},
        ),
        (gettext_lazy("Stock"), {"fields": ("track_stock", "stock", "low_stock_threshold")}),
        (gettext_lazy("Visibility"), {"fields": ("is_available", "is_active", "sort_order")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("images")

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, StockMovementInline) and obj is not None and obj.pk:
            # A best seller has a movement per sale: show the latest only.
            latest = StockMovement.objects.filter(product=obj).order_by("-created_at", "-pk")
            kwargs["queryset"] = (
                kwargs["queryset"]
                .filter(pk__in=Subquery(latest.values("pk")[: inline.shown]))
                .select_related("product")
            )
        return kwargs

    def get_readonly_fields(self, request, obj=None):
        # Once the product exists its stock moves through the ledger: orders, the stock take
        # and the API's stock adjustments. A number typed into a stale form would undo sales.
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "stock") if obj is not None else fields

    def save_model(self, request, obj, form, change):
        # A stock number typed here is a count by this user (see Product.save).
        obj.save(stock_actor=request.user, stock_reason="Stock set in the admin")

    def get_urls(self):
        take = path(
            "stock-take/",
            self.admin_site.admin_view(self.stock_take_view),
            name="catalog_product_stock_take",
        )
        return [take, *super().get_urls()]

    def stock_take_view(self, request):
        """Count the shelf: one counted number per tracked product, saved at once as `count`
        movements in one transaction (owners)."""
        tenant = admin_tenant(request)
        if tenant.merchant is None:
            messages.info(request, gettext("Choose a merchant first."))
            return redirect("admin:index")
        if not tenant.has_role(Role.OWNER):
            raise PermissionDenied(gettext("Only an owner can take stock."))
        products = Product.objects.filter(merchant=tenant.merchant, track_stock=True).order_by(
            "category__sort_order", "sort_order", "name", "pk"
        )
        form = StockTakeForm(request.POST or None, products=products)
        if request.method == "POST" and form.is_valid():
            try:
                movements = services.stock_count_many(
                    merchant_id=tenant.merchant.pk,
                    counted=form.counted(),
                    actor=Actor.staff(request.user),
                    reason=form.cleaned_data["reason"] or gettext("Stock take"),
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(
                    request,
                    gettext(
                        "Stock take saved: %(changed)s product(s) changed, %(right)s already right."
                    )
                    % {
                        "changed": len(movements),
                        "right": len(form.counted()) - len(movements),
                    },
                )
                return redirect(reverse("admin:catalog_product_stock_take"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Stock take · {tenant.merchant.name}",
            "form": form,
            "tenant": tenant,
        }
        return TemplateResponse(request, "admin/catalog/stock_take.html", context)

    def get_changeform_initial_data(self, request):
        # A new product starts with its merchant's default tax and service charge.
        initial = super().get_changeform_initial_data(request)
        merchants = list(self.scoped_choices(request, Merchant)[:2])
        if len(merchants) == 1:
            initial.setdefault("tax_percent", merchants[0].default_tax_percent)
            initial.setdefault(
                "service_charge_percent", merchants[0].default_service_charge_percent
            )
        return initial

    @admin.display(description=_("Price"), ordering="base_price")
    def price(self, product):
        return money(product.base_price, product.merchant.currency)

    @admin.display(description="")
    def thumbnail(self, product):
        for image in product.images.all():
            if image.kind == ProductImage.Kind.THUMBNAIL:
                return format_html(
                    '<img src="{}" alt="" style="height:40px;width:40px;object-fit:cover">',
                    image.url,
                )
        return "—"

    def _switch(self, request, queryset, label, **flags):
        count = services.product_set_flags(products=queryset, **flags)
        self.message_user(
            request,
            label % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=gettext_lazy("Activate selected products"), permissions=["change"])
    def activate(self, request, queryset):
        self._switch(request, queryset, gettext("%(count)s product(s) activated."), is_active=True)

    @admin.action(description=gettext_lazy("Deactivate selected products"), permissions=["change"])
    def deactivate(self, request, queryset):
        self._switch(
            request, queryset, gettext("%(count)s product(s) deactivated."), is_active=False
        )

    @admin.action(
        description=gettext_lazy("Mark selected products available"), permissions=["change"]
    )
    def mark_available(self, request, queryset):
        self._switch(
            request, queryset, gettext("%(count)s product(s) marked available."), is_available=True
        )

    @admin.action(
        description=gettext_lazy("Mark selected products unavailable"), permissions=["change"]
    )
    def mark_unavailable(self, request, queryset):
        self._switch(
            request,
            queryset,
            gettext("%(count)s product(s) marked unavailable."),
            is_available=False,
        )

    # --- import and export, owners only, one merchant at a time ---

    def has_import_permission(self, request):
        return self._has_role(request, Role.OWNER)

    def has_export_permission(self, request):
        return self._has_role(request, Role.OWNER)

    def export_action(self, request):
        """django-import-export builds the whole file in memory while the request waits, so it
        keeps the CSV exports' rule (merchants/exports.py): above EXPORT_SYNC_MAX_ROWS it is
        refused, before the format is even asked, and the owner narrows the list it exports.
        Products have no background export: a catalog that big is an operator's export of
        every merchant, which the merchant filter splits."""
        if self.has_export_permission(request):  # else the library's own 403
            count = self.get_export_queryset(request).count()
            if count > settings.EXPORT_SYNC_MAX_ROWS:
                messages.error(
                    request,
                    gettext(
                        "%(count)s products are more than an export can write while the page "
                        "waits (at most %(max)s). Narrow the list first, by merchant, category "
                        "or a search: the export takes the list's filters."
                    )
                    % {"count": count, "max": settings.EXPORT_SYNC_MAX_ROWS},
                )
                query = request.GET.urlencode()
                url = reverse("admin:catalog_product_changelist")
                return redirect(f"{url}?{query}" if query else url)
        return super().export_action(request)

    def _limit_merchant_field(self, request, form):
        choices = _owner_merchants(request)
        form.fields["merchant"].queryset = choices
        if "merchant" not in form.initial and len(choices) == 1:
            form.initial["merchant"] = choices[0].pk
        return form

    def create_import_form(self, request):
        return self._limit_merchant_field(request, super().create_import_form(request))

    def create_confirm_form(self, request, import_form=None):
        return self._limit_merchant_field(
            request, super().create_confirm_form(request, import_form)
        )

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["merchant"] = import_form.cleaned_data["merchant"].pk
        return initial

    def get_import_resource_kwargs(self, request, **kwargs):
        resource_kwargs = super().get_import_resource_kwargs(request, **kwargs)
        form = kwargs.get("form")
        if form is not None and hasattr(form, "cleaned_data"):
            resource_kwargs["merchant"] = form.cleaned_data.get("merchant")
        return resource_kwargs


class PromotionItemInline(MerchantScopedTabularInline):
    model = PromotionItem
    extra = 1
    autocomplete_fields = ("product",)


class RunningNowFilter(admin.SimpleListFilter):
    title = gettext_lazy("running now")
    parameter_name = "running"

    def lookups(self, request, model_admin):
        return (("yes", "Active now"), ("no", "Not active now"))

    def queryset(self, request, queryset):
        running = Promotion.objects.running(timezone.now()).values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=running)
        if self.value() == "no":
            return queryset.exclude(pk__in=running)
        return queryset


@admin.register(Promotion)
class PromotionAdmin(MerchantScopedAdmin):
    list_display = (
        "name",
        "merchant",
        "discount_type",
        "value",
        "starts_at",
        "ends_at",
        "is_active",
        "running_now",
    )
    list_filter = (RunningNowFilter, "merchant", "discount_type", "is_active")
    list_select_related = ("merchant",)
    search_fields = ("name", "description")
    date_hierarchy = "starts_at"
    inlines = [PromotionItemInline]
    fields = (
        "merchant",
        "name",
        "description",
        "discount_type",
        "value",
        "starts_at",
        "ends_at",
        "is_active",
    )

    @admin.display(boolean=True, description=gettext_lazy("Running now"))
    def running_now(self, promotion):
        return promotion.is_running()


class ModifierOptionInline(MerchantScopedTabularInline):
    model = ModifierOption
    extra = 1
    fields = ("name", "price_delta", "sort_order", "is_active")


@admin.register(ModifierGroup)
class ModifierGroupAdmin(MerchantScopedAdmin):
    """Sizes (choose 1), sugar levels, add-ons (choose up to N), with their options inline."""

    list_display = ("name", "merchant", "min_select", "max_select", "sort_order", "is_active")
    list_filter = ("merchant", "is_active")
    list_select_related = ("merchant",)
    list_editable = ("sort_order", "is_active")
    search_fields = ("name", "options__name")
    ordering = ("merchant", "sort_order", "name")
    inlines = [ModifierOptionInline]
    fields = ("merchant", "name", "min_select", "max_select", "sort_order", "is_active")


@admin.register(LowStockAlert)
class LowStockAlertAdmin(ReadOnlyPermissionsMixin, MerchantScopedAdmin):
    """The trail of daily low-stock emails (read-only): when, how many products, how many
    owners were told."""

    list_display = ("day", "merchant", "product_count", "recipient_count", "sent_at")
    list_filter = ("merchant", "day")
    list_select_related = ("merchant",)
    date_hierarchy = "day"
    readonly_fields = ("merchant", "day", "product_count", "recipient_count", "sent_at")
