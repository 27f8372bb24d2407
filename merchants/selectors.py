"""Reads for merchants and memberships."""

from django.contrib.auth import get_user_model

from merchants.models import Membership, Merchant


def merchant_owner_emails(*, merchant: Merchant) -> list[str]:
    """The addresses of the merchant's active owners (who get its alerts), sorted, no blanks."""
    return list(
        get_user_model()
        .objects.filter(
            memberships__merchant=merchant,
            memberships__role=Membership.Role.OWNER,
            is_active=True,
        )
        .exclude(email="")
        .order_by("email")
        .values_list("email", flat=True)
        .distinct()
    )
