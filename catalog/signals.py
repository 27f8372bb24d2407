"""A stored image goes when its row goes (also through cascades and bulk deletes); every
change the public menu shows bumps the merchant's catalog version (catalog/menu_cache.py)."""

from django.core.exceptions import ObjectDoesNotExist
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from catalog.menu_cache import catalog_version_bump
from catalog.models import (
    ModifierGroup,
    ModifierOption,
    Product,
    ProductCategory,
    ProductImage,
    ProductModifierGroup,
    Promotion,
    PromotionItem,
)
from catalog.services import image_file_delete_on_commit
from merchants.models import Merchant, TableLocation


@receiver(post_delete, sender=ProductImage, dispatch_uid="catalog_image_file_delete")
def delete_image_file(sender, instance: ProductImage, **kwargs) -> None:
    image_file_delete_on_commit(instance)


# --- the public menu's catalog version ------------------------------------------------------

MENU_MODELS = (
    ProductCategory,
    Product,
    ProductImage,
    Promotion,
    PromotionItem,
    ModifierGroup,
    ModifierOption,
    ProductModifierGroup,
    TableLocation,
    Merchant,
)


def _merchant_id(instance) -> int | None:
    """The owning merchant's id, following `merchant_lookup` (a parent already gone: None)."""
    if isinstance(instance, Merchant):
        return instance.pk
    *parents, _ = instance.merchant_lookup.split("__")
    current = instance
    try:
        for part in parents:
            current = getattr(current, part)
    except ObjectDoesNotExist:
        return None
    return getattr(current, "merchant_id", None)


def _menu_changed(sender, instance, **kwargs) -> None:
    catalog_version_bump(_merchant_id(instance))


def _links_changed(sender, instance, **kwargs) -> None:
    if kwargs.get("action", "").startswith("post_"):
        catalog_version_bump(_merchant_id(instance))


for _model in MENU_MODELS:
    post_save.connect(_menu_changed, sender=_model, dispatch_uid=f"menu_save_{_model.__name__}")
    post_delete.connect(_menu_changed, sender=_model, dispatch_uid=f"menu_delete_{_model.__name__}")
for _through in (Promotion.products.through, Product.modifier_groups.through):
    m2m_changed.connect(_links_changed, sender=_through, dispatch_uid=f"menu_{_through.__name__}")
