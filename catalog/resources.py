"""CSV/Excel import and export of products, always for one merchant.

The merchant comes from the importing owner, never from the file. Rows match existing products
by SKU (rows without a SKU create products); categories are found by name within the merchant
and created when new. Every row passes the model's `full_clean()`, the same rules as the admin
form and the API, and an import with any invalid row is rolled back as a whole. A stock number
that changes is a `count` in the stock ledger naming the person who imported the file.
"""

from import_export import fields, resources, widgets

from catalog.models import Product, ProductCategory
from merchants.models import Merchant


class CategoryByNameWidget(widgets.ForeignKeyWidget):
    def __init__(self, merchant: Merchant | None):
        super().__init__(ProductCategory, field="name")
        self.merchant = merchant

    def clean(self, value, row=None, **kwargs):
        name = str(value or "").strip()
        if not name:
            return None
        if self.merchant is None:
            raise ValueError("No merchant chosen for this import.")
        category = ProductCategory.objects.filter(merchant=self.merchant, name__iexact=name).first()
        if category is None:
            category = ProductCategory.objects.create(merchant=self.merchant, name=name[:80])
        return category


class ProductResource(resources.ModelResource):
    category = fields.Field(attribute="category", column_name="category")

    class Meta:
        model = Product
        fields = (
            "sku",
            "name",
            "description",
            "product_type",
            "category",
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
        )
        export_order = fields
        import_id_fields = ("sku",)
        clean_model_instances = True
        use_transactions = True
        skip_unchanged = False

    def __init__(self, merchant: Merchant | None = None, **kwargs):
        super().__init__(**kwargs)
        self.merchant = merchant
        self.importing_user = None
        self.stock_reason = "Stock set by an import"
        self.fields["category"].widget = CategoryByNameWidget(merchant)

    def get_queryset(self):
        queryset = Product.objects.select_related("category")
        if self.merchant is None:
            return queryset.none()
        return queryset.filter(merchant=self.merchant)

    def get_instance(self, instance_loader, row):
        # Without a SKU there is nothing to match on: the row is a new product.
        if not str(row.get("sku") or "").strip():
            return None
        return super().get_instance(instance_loader, row)

    def import_instance(self, instance, row, **kwargs):
        instance.merchant = self.merchant
        super().import_instance(instance, row, **kwargs)

    def import_data(self, dataset, **kwargs):
        if self.merchant is None:
            raise ValueError("Choose the merchant to import products for.")
        # One bad row and nothing is applied: validation errors roll back like errors do.
        kwargs["rollback_on_validation_errors"] = True
        kwargs["use_transactions"] = True
        # import-export names who imports (`user`) to import_data only; the save needs it so
        # the ledger's count names the owner rather than "system".
        self.importing_user = kwargs.get("user")
        file_name = kwargs.get("file_name")
        if file_name:
            self.stock_reason = f"Stock set by importing {file_name}"[:255]
        return super().import_data(dataset, **kwargs)

    def do_instance_save(self, instance, is_create):
        instance.save(
            force_insert=is_create,
            stock_actor=self.importing_user,
            stock_reason=self.stock_reason,
        )

    def dehydrate_category(self, product: Product) -> str:
        return product.category.name if product.category else ""
