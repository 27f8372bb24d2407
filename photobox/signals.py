"""Cached kiosk-key lookups go stale the moment a location or its merchant changes."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from merchants.models import Merchant
from photobox.auth import kiosk_identity_forget
from photobox.models import KioskLocation


def _forget(*key_hashes: str) -> None:
    # Now, and after the commit, so no request caches the row as it was before.
    kiosk_identity_forget(*key_hashes)
    transaction.on_commit(lambda: kiosk_identity_forget(*key_hashes))


@receiver(post_save, sender=KioskLocation, dispatch_uid="photobox_location_saved")
@receiver(post_delete, sender=KioskLocation, dispatch_uid="photobox_location_deleted")
def location_changed(sender, instance: KioskLocation, **kwargs) -> None:
    _forget(instance.key_hash)


@receiver(post_save, sender=Merchant, dispatch_uid="photobox_merchant_saved")
def merchant_changed(sender, instance: Merchant, created: bool, **kwargs) -> None:
    if created:
        return
    hashes = KioskLocation.objects.filter(merchant=instance).values_list("key_hash", flat=True)
    if hashes:
        _forget(*hashes)
