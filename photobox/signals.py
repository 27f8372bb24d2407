"""Cached kiosk-key lookups go stale the moment a location or its merchant changes."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from merchants.models import Merchant
from photobox.auth import kiosk_identity_forget_on_commit
from photobox.models import KioskLocation


@receiver(post_save, sender=KioskLocation, dispatch_uid="photobox_location_saved")
@receiver(post_delete, sender=KioskLocation, dispatch_uid="photobox_location_deleted")
def location_changed(sender, instance: KioskLocation, **kwargs) -> None:
    kiosk_identity_forget_on_commit(instance.key_hash)


@receiver(post_save, sender=Merchant, dispatch_uid="photobox_merchant_saved")
def merchant_changed(sender, instance: Merchant, created: bool, **kwargs) -> None:
    if created:
        return
    hashes = KioskLocation.objects.filter(merchant=instance).values_list("key_hash", flat=True)
    if hashes:
        kiosk_identity_forget_on_commit(*hashes)
