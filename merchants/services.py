"""Writes for merchants, memberships and staff invitations."""

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from merchants.emails import send_templated_email
from merchants.errors import Conflict, DomainError, PermissionDenied
from merchants.i18n import merchant_language
from merchants.models import Membership, Merchant, StaffInvitation
from merchants.outbox import task_queue_on_commit
from merchants.secret_links import seeded_token, token_hash
from merchants.selectors import staff_invitation_pending_exists

logger = logging.getLogger(__name__)


@transaction.atomic
def membership_grant(*, user, merchant: Merchant, role: int) -> Membership:
    """Give `user` a role at `merchant`; staff of a merchant may sign in to the admin.

    Only for the user's own consent (an accepted invitation) or an account made for this
    merchant: never to attach someone else's account.
    """
    membership, _ = Membership.objects.update_or_create(
        user=user, merchant=merchant, defaults={"role": role}
    )
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return membership


# --- staff invitations -------------------------------------------------------------------------


def _invitation_token(seed: str) -> str:
    return seeded_token("merchants.staff-invitation", seed)


def hash_invitation_token(token: str) -> str:
    return token_hash(token)


def staff_invitation_url(invitation: StaffInvitation) -> str:
    # Built from a configured base, never from the request's Host header.
    return f"{settings.SITE_URL}/staff/invitations/{_invitation_token(invitation.secret_seed)}/"


@transaction.atomic
def staff_invitation_create(
    *, merchant: Merchant, email: str, role: int, invited_by
) -> StaffInvitation:
    """Invite `email` to a `role` at `merchant`; the email goes out after commit.

    A second pending invitation to the same address is a Conflict: revoke the first to send
    a new one. The answer is the same whether the address has an account or not.
    """
    from merchants.tasks import staff_invitation_send_task

    email = email.strip().lower()
    now = timezone.now()
    if staff_invitation_pending_exists(merchant=merchant, email=email):
        raise Conflict(
            gettext("%(email)s already has a pending invitation here; revoke it to send a new one.")
            % {"email": email},
            details={"email": [gettext("Already invited.")]},
        )
    seed = secrets.token_hex(32)
    invitation = StaffInvitation(
        merchant=merchant,
        email=email,
        role=role,
        invited_by=invited_by,
        secret_seed=seed,
        token_hash=hash_invitation_token(_invitation_token(seed)),
        expires_at=now + timedelta(hours=settings.STAFF_INVITATION_TTL_HOURS),
    )
    invitation.full_clean()
    invitation.save()
    task_queue_on_commit(staff_invitation_send_task, invitation.pk)
    return invitation


def staff_invitation_send(*, invitation_id: int) -> bool:
    """Email the invitation link, at most once (claimed before sending, released on failure);
    nothing for an invitation accepted, revoked or expired in the meantime."""
    now = timezone.now()
    claimed = StaffInvitation.objects.filter(
        pk=invitation_id, email_sent_at__isnull=True, accepted_at__isnull=True, expires_at__gt=now
    ).update(email_sent_at=now)
    if not claimed:
        return False
    invitation = StaffInvitation.objects.select_related("merchant", "invited_by").get(
        pk=invitation_id
    )
    inviter = invitation.invited_by
    with translation.override(merchant_language(invitation.merchant)):
        role = invitation.get_role_display().lower()
    context = {
        "link": staff_invitation_url(invitation),
        "role": role,
        "inviter": (inviter.get_full_name() or inviter.get_username()) if inviter else "",
        "expires_at": invitation.expires_at,
    }
    try:
        send_templated_email(
            to=invitation.email,
            template="staff_invitation",
            context=context,
            merchant=invitation.merchant,
        )
    except Exception:
        StaffInvitation.objects.filter(pk=invitation_id).update(email_sent_at=None)
        raise
    return True


def staff_invitation_for_token(*, token: str) -> StaffInvitation | None:
    """The pending (not accepted, not expired) invitation the link's token opens, or None."""
    return (
        StaffInvitation.objects.select_related("merchant")
        .filter(
            token_hash=hash_invitation_token(token),
            accepted_at__isnull=True,
            expires_at__gt=timezone.now(),
            merchant__is_active=True,
        )
        .first()
    )


def _open_invitation(token: str) -> StaffInvitation:
    invitation = staff_invitation_for_token(token=token)
    if invitation is None:
        raise DomainError(
            gettext(
                "This invitation is invalid, expired, revoked or already used; ask the shop's "
                "owner for a new one."
            ),
            code="invalid_invitation",
        )
    return invitation


@transaction.atomic
def staff_invitation_accept(*, token: str, user) -> Membership:
    """`user` (signed in, so consenting) accepts the invitation the token opens: they get its
    role at its merchant. The link works once."""
    invitation = _open_invitation(token)
    if user.is_superuser:
        raise PermissionDenied(gettext("The platform operator cannot be added as staff."))
    accepted = StaffInvitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
        accepted_at=timezone.now(), accepted_by=user
    )
    if not accepted:  # accepted at the same moment by another request
        raise Conflict(gettext("This invitation was just used."), code="invalid_invitation")
    return membership_grant(user=user, merchant=invitation.merchant, role=invitation.role)


@transaction.atomic
def staff_invitation_accept_new_account(*, token: str, username: str, password: str) -> Membership:
    """Create an account for the invitee (with the invitation's email) and accept at once.

    The caller validates the username and password (a sign-up form)."""
    invitation = _open_invitation(token)
    user = get_user_model().objects.create_user(
        username=username, email=invitation.email, password=password
    )
    return staff_invitation_accept(token=token, user=user)


@transaction.atomic
def staff_invitation_revoke(*, invitation: StaffInvitation) -> None:
    """Withdraw an invitation not yet accepted (its link stops working)."""
    if invitation.accepted_at is not None:
        raise Conflict(
            gettext(
                "This invitation was already accepted; change or remove the membership instead."
            )
        )
    invitation.delete()
