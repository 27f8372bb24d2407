"""Reads for merchants and memberships."""

from django.contrib.auth import get_user_model
from django.utils import timezone

from merchants.models import Membership, Merchant, StaffInvitation


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


def staff_me(*, user) -> dict:
    """The signed-in staff user and their role at every active merchant they belong to."""
    memberships = (
        Membership.objects.filter(user=user, merchant__is_active=True)
        .select_related("merchant")
        .order_by("merchant__name")
    )
    return {
        "id": user.pk,
        "username": user.get_username(),
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_operator": user.is_superuser,
        "memberships": [
            {
                "merchant_id": membership.merchant_id,
                "merchant_slug": membership.merchant.slug,
                "merchant_name": membership.merchant.name,
                "role": Membership.Role(membership.role).label.lower(),
            }
            for membership in memberships
        ],
    }


def staff_invitation_pending_exists(*, merchant: Merchant, email: str) -> bool:
    """Whether `email` has an invitation to `merchant` not yet accepted nor expired."""
    return StaffInvitation.objects.filter(
        merchant=merchant,
        email=email.strip().lower(),
        accepted_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).exists()
