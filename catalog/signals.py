"""A stored image goes when its row goes (also through cascades and bulk deletes)."""

from django.db.models.signals import post_delete
from django.dispatch import receiver

from catalog.models import ProductImage
from catalog.services import image_file_delete_on_commit


@receiver(post_delete, sender=ProductImage, dispatch_uid="catalog_image_file_delete")
def delete_image_file(sender, instance: ProductImage, **kwargs) -> None:
    image_file_delete_on_commit(instance)
