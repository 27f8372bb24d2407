"""Writes for photobox: kiosk keys, and sessions with their payment (sale, expiry, the
registry handler, late refunds). Photos, the gallery email and cleanup are in
`photobox/photos.py`.

Rules every function here keeps:
- A session's status moves only through `_move`: one conditional UPDATE from a status that
  `PhotoSession.ALLOWED_TRANSITIONS` allows, so two racing moves cannot both happen; the quota
  unit goes back in the same transaction when the move lands on FAILED or EXPIRED, hence
  exactly once.
- Quota is reserved with one conditional UPDATE (`quota_used < quota`): parallel sales of the
  last unit cannot both pass.
- The gateway is called outside any transaction; if it fails, the reservation and the session
  are undone before the error reaches the kiosk.
"""

import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from merchants.actors import SYSTEM, Actor
from merchants.errors import Conflict, DomainError, PermissionDenied
from merchants.reports import local_today
from payments.models import Payment
from payments.selectors import payment_latest_for_reference
from payments.services import payment_charge_qris, payment_expire, payment_refund
from photobox.auth import (
    KioskIdentity,
    kiosk_identity_forget_on_commit,
    kiosk_key_generate,
    kiosk_key_hash,
)
from photobox.models import KioskLocation, KioskPrice, PhotoSession

logger = logging.getLogger(__name__)

Status = PhotoSession.Status
Issue = PhotoSession.PaymentIssue
REFERENCE_KIND = "photo_session"


# --- kiosk locations and their keys ---------------------------------------------------------


def _install_key(location: KioskLocation, key: str) -> None:
    location.key_hash = kiosk_key_hash(key)
    location.key_prefix = key[:8]
    location.key_rotated_at = timezone.now()


def kiosk_location_assign_key(*, location: KioskLocation) -> str:
    """A fresh key for a location not saved yet (the admin's add form); returned once."""
    if location.pk is not None:
        raise Conflict(gettext("This location exists already; rotate its key instead."))
    key = kiosk_key_generate()
    _install_key(location, key)
    return key


def kiosk_location_create(
    *,
    merchant,
    machine_code: str,
    name: str,
    address: str = "",
    is_active: bool = True,
) -> tuple[KioskLocation, str]:
    """A new kiosk location and its key. The key is returned once and never stored."""
    location = KioskLocation(
        merchant=merchant,
        machine_code=machine_code,
        name=name,
        address=address,
        is_active=is_active,
    )
    key = kiosk_location_assign_key(location=location)
    location.full_clean()
    location.save(force_insert=True)
    return location, key


def _replace_key(location: KioskLocation, key: str) -> None:
    """Put `key` on a saved location; the key it had stops working at once."""
    old_hash = location.key_hash
    _install_key(location, key)
    location.save(update_fields=["key_hash", "key_prefix", "key_rotated_at", "updated_at"])
    kiosk_identity_forget_on_commit(old_hash)


@transaction.atomic
def kiosk_location_rotate_key(*, location: KioskLocation) -> str:
    """Give the location a new key and return it (once); the old key stops working at once."""
    locked = KioskLocation.objects.select_for_update().get(pk=location.pk)
    key = kiosk_key_generate()
    _replace_key(locked, key)
    location.key_hash, location.key_prefix = locked.key_hash, locked.key_prefix
    location.key_rotated_at = locked.key_rotated_at
    return key


@transaction.atomic
def kiosk_location_set_key(*, location: KioskLocation, key: str) -> None:
    """Install a known key (demo data, or keys carried over from another system)."""
    if len(key) < 12:
        raise DomainError(
            gettext("A kiosk key has at least 12 characters."),
            details={"key": gettext("too short")},
        )
    _replace_key(location, key)


# --- sessions ---------------------------------------------------------------------------------


def _new_external_id(location: KioskLocation, now: datetime) -> str:
    local = timezone.localtime(now, location.merchant.tzinfo)
    return f"TRX-{location.pk}-{local:%Y%m%d%H%M%S}-{secrets.token_hex(4)}"


def _available_price(location: KioskLocation, price_id: int) -> KioskPrice:
    price = (
        KioskPrice.objects.filter(pk=price_id, merchant_id=location.merchant_id, is_active=True)
        .filter(Q(location__isnull=True) | Q(location=location))
        .first()
    )
    if price is None:
        message = gettext("There is no active package %(price_id)s at kiosk %(kiosk)s.") % {
            "price_id": price_id,
            "kiosk": location.machine_code,
        }
        raise DomainError(message, code="unknown_price", details={"price_id": [message]})
    return price


def _reserve_and_open(
    *, location: KioskLocation, price: KioskPrice, email: str, send_invoice: bool
) -> PhotoSession:
    now = timezone.now()
    for attempt in range(3):
        try:
            with transaction.atomic():
                reserved = (
                    KioskPrice.objects.filter(pk=price.pk, is_active=True)
                    .filter(Q(quota__isnull=True) | Q(quota_used__lt=F("quota")))
                    .update(quota_used=F("quota_used") + 1, updated_at=now)
                )
                if not reserved:
                    raise Conflict(
                        gettext(
                            "%(description)s is sold out at this kiosk: all %(quota)s sessions of "
                            "its quota are taken. Pick another package."
                        )
                        % {"description": price.description, "quota": price.quota},
                        code="quota_exhausted",
                    )
                session = PhotoSession(
                    merchant_id=location.merchant_id,
                    location=location,
                    price=price,
                    external_id=_new_external_id(location, now),
                    amount=price.amount,
                    currency=location.merchant.currency,
                    email=email.strip(),
                    send_invoice=send_invoice,
                    business_date=local_today(location.merchant, now),
                    expires_at=now + timedelta(minutes=settings.PHOTOBOX_QRIS_EXPIRY_MINUTES),
                )
                session.save(force_insert=True)
                return session
        except IntegrityError:
            # Two sales at one kiosk in the same second drew the same 32 random bits.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _undo_open(session: PhotoSession) -> None:
    """The gateway refused: no session, no reserved unit, as if nothing had happened."""
    with transaction.atomic():
        deleted, _ = PhotoSession.objects.filter(pk=session.pk, status=Status.PENDING).delete()
        if deleted:
            _release_quota(session.price_id)


def _payment_link(payment: Payment) -> dict:
    """What a session keeps of its payment: the row, the gateway ids staff search by,
    and the QR."""
    return {
        "payment": payment,
        "gateway": payment.gateway,
        "gateway_order_id": payment.gateway_order_id,
        "gateway_transaction_id": payment.gateway_transaction_id,
        "qr_string": payment.qr_string,
    }


def photo_session_create(
    *, kiosk: KioskIdentity, price_id: int, email: str, send_invoice: bool = False
) -> PhotoSession:
    """Sell one session at the kiosk: reserve a unit of the package, charge QRIS through the
    merchant's gateway (`merchant.qris_gateway`) and return the PENDING session with its QR.

    Sold out → Conflict (409); a gateway failure → GatewayError (502) with nothing written.
    """
    location = (
        KioskLocation.objects.select_related("merchant")
        .filter(pk=kiosk.location_id, is_active=True, merchant__is_active=True)
        .first()
    )
    if location is None:  # switched off a moment ago; the key cache is being cleared
        raise PermissionDenied(
            gettext("This kiosk is switched off; ask the owner to switch it on.")
        )
    price = _available_price(location, price_id)
    session = _reserve_and_open(
        location=location, price=price, email=email, send_invoice=send_invoice
    )
    try:
        payment = payment_charge_qris(
            merchant=location.merchant,
            reference_kind=REFERENCE_KIND,
            reference_id=session.external_id,
            amount=price.amount,
            expiry_minutes=settings.PHOTOBOX_QRIS_EXPIRY_MINUTES,
            description=f"{price.description} ({location.machine_code})",
        )
    except BaseException:
        _undo_open(session)
        raise
    link = _payment_link(payment)
    PhotoSession.objects.filter(pk=session.pk).update(**link, updated_at=timezone.now())
    for name, value in link.items():
        setattr(session, name, value)
    return session


def _release_quota(price_id: int) -> None:
    KioskPrice.objects.filter(pk=price_id, quota_used__gt=0).update(
        quota_used=F("quota_used") - 1, updated_at=timezone.now()
    )


def _move(session: PhotoSession, target: str, **fields) -> bool:
    """Move `session` to `target` if its current status allows it; True when it moved.

    One conditional UPDATE: of two racing moves only one lands. Landing on FAILED or EXPIRED
    gives the quota unit back in the same transaction, so it is released exactly once.
    """
    sources = [s for s, targets in PhotoSession.ALLOWED_TRANSITIONS.items() if target in targets]
    with transaction.atomic():
        moved = PhotoSession.objects.filter(pk=session.pk, status__in=sources).update(
            status=target, updated_at=timezone.now(), **fields
        )
        if moved and target in PhotoSession.RELEASING_STATUSES:
            _release_quota(session.price_id)
    if moved:
        session.status = target
        for name, value in fields.items():
            setattr(session, name, value)
    return bool(moved)


def photo_session_expire(*, session: PhotoSession) -> bool:
    """PENDING → EXPIRED here (quota released); False when it had already moved on."""
    return _move(session, Status.EXPIRED)


def photo_session_expire_due(*, now: datetime | None = None, limit: int = 500) -> list[str]:
    """Beat: expire PENDING sessions past their expiry and give their quota back; then expire
    their charge at the gateway, best effort (the QR lapses there on its own anyway).

    Idempotent: a second run finds nothing to do. Returns the external ids it expired.
    """
    now = now or timezone.now()
    due = list(
        PhotoSession.objects.filter(status=Status.PENDING, expires_at__lte=now)
        .select_related("payment__merchant")
        .order_by("expires_at", "pk")[:limit]
    )
    expired = []
    for session in due:
        if photo_session_expire(session=session):
            expired.append(session.external_id)
        payment = session.payment or payment_latest_for_reference(
            merchant=session.merchant,
            reference_kind=REFERENCE_KIND,
            reference_id=session.external_id,
        )
        if payment is None or payment.status != Payment.Status.PENDING:
            continue
        try:
            payment_expire(payment=payment, actor=SYSTEM)
        except Exception:
            logger.warning(
                "Could not expire the charge of %s at the gateway; it lapses there on its own",
                session.external_id,
                exc_info=True,
            )
    return expired


def _flag(session: PhotoSession, issue: str, message: str) -> None:
    now = timezone.now()
    PhotoSession.objects.filter(pk=session.pk).update(
        payment_issue=issue, payment_issue_at=now, updated_at=now
    )
    logger.error("Photo session %s: %s", session.external_id, message)


def photo_session_payment_changed(
    payment: Payment, old_status: str, new_status: str, *, actor: Actor
) -> None:
    """Registry handler for `photo_session` payments (runs inside the payment's transaction;
    sessions keep no log of who acted, so `actor` is not recorded).

    paid → COMPLETED (with paid_at); failed or cancelled → FAILED; expired → EXPIRED.
    Statuses only move one way, so money that arrives after the session ended (EXPIRED by the
    beat, or past its expiry, which the kiosk already showed as EXPIRED) cannot complete it:
    the session is flagged `paid_late` for the owner to refund, and logged as an error. A paid
    session whose payment is later reversed is flagged `reversed`.
    """
    session = (
        PhotoSession.objects.filter(
            merchant_id=payment.merchant_id, external_id=payment.reference_id
        )
        .only("pk", "status", "price_id", "expires_at", "external_id", "payment_id")
        .first()
    )
    if session is None:
        logger.error("Payment %s names no photo session", payment.gateway_order_id)
        return
    if session.payment_id is None:
        PhotoSession.objects.filter(pk=session.pk, payment__isnull=True).update(
            **_payment_link(payment)
        )
    now = timezone.now()
    paid = Payment.Status
    if new_status == paid.PAID:
        if session.expires_at > now and _move(
            session, Status.COMPLETED, paid_at=payment.paid_at or now
        ):
            return
        session.refresh_from_db(fields=["status"])
        if session.status == Status.PENDING:
            _move(session, Status.EXPIRED)  # past its expiry: what the kiosk already showed
        if session.status != Status.COMPLETED:
            _flag(
                session,
                Issue.PAID_LATE,
                f"{payment.amount} arrived after the session ended ({session.status}); "
                "refund the customer.",
            )
    elif new_status in (paid.FAILED, paid.CANCELLED):
        if not _move(session, Status.FAILED):
            session.refresh_from_db(fields=["status"])
            if session.status == Status.COMPLETED:
                _flag(session, Issue.REVERSED, f"its payment became {new_status} after it was paid")
    elif new_status == paid.EXPIRED:
        _move(session, Status.EXPIRED)
    else:
        # Refunds change nothing here: a session's status never goes back.
        logger.info("Payment of %s is now %s", session.external_id, new_status)


def photo_session_refund_late_payment(*, session: PhotoSession, actor: Actor) -> Payment:
    """Refund money that arrived after the session ended (the `paid_late` flag)."""
    if session.payment_issue != Issue.PAID_LATE or session.payment_id is None:
        raise Conflict(
            gettext("%(external_id)s has no late payment to refund.")
            % {"external_id": session.external_id}
        )
    return payment_refund(
        payment=session.payment,
        reason=f"Paid after photo session {session.external_id} had ended",
        actor=actor,
    )


__all__ = [
    "REFERENCE_KIND",
    "kiosk_location_assign_key",
    "kiosk_location_create",
    "kiosk_location_rotate_key",
    "kiosk_location_set_key",
    "photo_session_create",
    "photo_session_expire",
    "photo_session_expire_due",
    "photo_session_payment_changed",
    "photo_session_refund_late_payment",
]
