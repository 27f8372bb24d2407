from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

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
from merchants.tests.factories import MerchantFactory


class ProductCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductCategory

    merchant = factory.SubFactory(MerchantFactory)
    name = factory.Sequence(lambda n: f"Category {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    merchant = factory.SubFactory(MerchantFactory)
    category = factory.SubFactory(
        ProductCategoryFactory, merchant=factory.SelfAttribute("..merchant")
    )
    name = factory.Sequence(lambda n: f"Product {n}")
    base_price = Decimal(25000)


class ProductImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductImage

    product = factory.SubFactory(ProductFactory)
    kind = ProductImage.Kind.DETAIL
    file = factory.Sequence(lambda n: f"merchants/0/products/0/detail-{n}.png")
    width = 40
    height = 30


class PromotionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Promotion
        skip_postgeneration_save = True

    merchant = factory.SubFactory(MerchantFactory)
    name = factory.Sequence(lambda n: f"Promotion {n}")
    discount_type = Promotion.DiscountType.PERCENT
    value = Decimal(10)
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))

    @factory.post_generation
    def products(self, create, extracted, **kwargs):
        for product in extracted or ():
            PromotionItem.objects.create(promotion=self, product=product)


class ModifierGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModifierGroup

    merchant = factory.SubFactory(MerchantFactory)
    name = factory.Sequence(lambda n: f"Group {n}")
    min_select = 0
    max_select = 1


class ModifierOptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModifierOption

    group = factory.SubFactory(ModifierGroupFactory)
    name = factory.Sequence(lambda n: f"Option {n}")
    price_delta = Decimal(0)


class ProductModifierGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductModifierGroup

    product = factory.SubFactory(ProductFactory)
    group = factory.SubFactory(
        ModifierGroupFactory, merchant=factory.SelfAttribute("..product.merchant")
    )


class StockMovementFactory(factory.django.DjangoModelFactory):
    """A ledger row on its own (stock is not moved: for admin and list tests only)."""

    class Meta:
        model = StockMovement

    product = factory.SubFactory(ProductFactory)
    merchant = factory.SelfAttribute("product.merchant")
    delta = 1
    kind = StockMovement.Kind.RESTOCK
    reason = "Delivery"
