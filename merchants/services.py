"""Writes for merchants and memberships."""

from django.db import transaction

from merchants.models import Membership, Merchant


@transaction.atomic
def membership_grant(*, user, merchant: Merchant, role: int) -> Membership:
    """Give `user` a role at `merchant`; staff of a merchant may sign in to the admin."""
    membership, _ = Membership.objects.update_or_create(
        user=user, merchant=merchant, defaults={"role": role}
    )
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return membership
