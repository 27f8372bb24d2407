"""Writes for a paid session's photos: upload from the kiosk, the gallery email (each send
claimed once), and the cleanup of photos past their retention."""

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, Max, Q
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext

from merchants.emails import send_templated_email
from merchants.errors import Conflict, DomainError
from merchants.i18n import merchant_language
from merchants.images import validate_image
from merchants.outbox import task_queue_on_commit
from merchants.storage import storage_delete_prefix
from photobox.auth import KioskIdentity
from photobox.models import Photo, PhotoSession, effective_status
from photobox.selectors import gallery_url, photo_session_for_kiosk

logger = logging.getLogger(__name__)

Status = PhotoSession.Status
PHOTO_FORMATS = ("JPEG", "PNG")


# --- photos -----------------------------------------------------------------------------------


def _check_accepts_photos(session: PhotoSession, now: datetime) -> None:
    status = effective_status(session.status, session.expires_at, now)
    if status == Status.PENDING:
        raise Conflict(
            gettext(
                "%(external_id)s is not paid yet; upload the photos once the poll says COMPLETED."
            )
            % {"external_id": session.external_id},
            code="not_paid",
        )
    if status != Status.COMPLETED:
        raise Conflict(
            gettext("%(external_id)s is %(status)s: it was never paid, so it takes no photos.")
            % {"external_id": session.external_id, "status": status},
            code="session_closed",
        )
    if session.email_sent_at is not None:
        raise Conflict(
            gettext(
                "The photos of %(external_id)s were already emailed (%(localtime)s); a "
                "session takes no more photos after its email."
            )
            % {
                "external_id": session.external_id,
                "localtime": format(timezone.localtime(session.email_sent_at), "%Y-%m-%d %H:%M"),
            },
            code="already_emailed",
        )
    if session.photos_cleaned_at is not None:
        raise Conflict(
            gettext("The photos of %(external_id)s were deleted.")
            % {"external_id": session.external_id},
            code="cleaned",
        )


@dataclass(frozen=True)
class UploadResult:
    session: PhotoSession
    photos: list[Photo]
    photo_count: int


def photo_session_add_photos(
    *, kiosk: KioskIdentity, external_id: str, uploads: Sequence
) -> UploadResult:
    """Store the kiosk's photos under `photobox/{external_id}/` and queue the gallery email.

    JPEG or PNG by content, at most `PHOTOBOX_PHOTO_MAX_BYTES` each and
    `PHOTOBOX_MAX_PHOTOS_PER_SESSION` per session; only for the kiosk's own COMPLETED session
    whose email has not gone yet (409 saying why otherwise). Every file is checked before the
    first is stored; if storing one fails, the ones stored are removed again.
    """
    limit = settings.PHOTOBOX_MAX_PHOTOS_PER_SESSION
    session = photo_session_for_kiosk(kiosk=kiosk, external_id=external_id)
    now = timezone.now()
    _check_accepts_photos(session, now)
    if not uploads:
        raise DomainError(
            gettext("Send the photos as `files` (multipart)."),
            details={"files": [gettext("Required.")]},
        )
    if len(uploads) > limit:
        raise DomainError(
            gettext("At most %(limit)s photos per session; %(len)s were sent.")
            % {"limit": limit, "len": len(uploads)},
            details={"files": [gettext("At most %(limit)s files.") % {"limit": limit}]},
        )
    infos = [
        validate_image(
            upload,
            max_bytes=settings.PHOTOBOX_PHOTO_MAX_BYTES,
            formats=PHOTO_FORMATS,
            field="files",
        )
        for upload in uploads
    ]
    stored: list[str] = []
    try:
        with transaction.atomic():
            # The lock makes two uploads of one session take turns on the count.
            session = PhotoSession.objects.select_for_update().get(pk=session.pk)
            _check_accepts_photos(session, now)
            held = session.photos.aggregate(count=Count("pk"), last=Max("order"))
            count, last = held["count"], held["last"] or 0
            if count + len(uploads) > limit:
                raise Conflict(
                    gettext(
                        "%(external_id)s has %(count)s photos; %(len)s more would pass the "
                        "limit of %(limit)s."
                    )
                    % {
                        "external_id": session.external_id,
                        "count": count,
                        "len": len(uploads),
                        "limit": limit,
                    },
                    code="too_many_photos",
                )
            first = last + 1
            photos = []
            for index, info in enumerate(infos):
                order = first + index
                # Pillow's re-encoding is stored, never the upload's bytes.
                name = default_storage.save(
                    f"photobox/{session.external_id}/{order:02d}-{secrets.token_hex(4)}"
                    f".{info.extension}",
                    info.file,
                )
                stored.append(name)
                photos.append(
                    Photo(
                        session=session,
                        file=name,
                        size=info.file.size,
                        width=info.width,
                        height=info.height,
                        order=order,
                    )
                )
            Photo.objects.bulk_create(photos)
            if session.photos_uploaded_at is None:
                session.photos_uploaded_at = now
                session.save(update_fields=["photos_uploaded_at", "updated_at"])
            _queue_email(session.pk, 1)
    except BaseException:
        for name in stored:
            _delete_quietly(name)
        raise
    return UploadResult(session=session, photos=photos, photo_count=count + len(photos))


def _delete_quietly(name: str) -> None:
    try:
        default_storage.delete(name)
    except Exception:
        logger.exception("Could not delete stored photo %s", name)


# --- the gallery email ------------------------------------------------------------------------


def _queue_email(session_id: int, send_number: int) -> None:
    from photobox.tasks import photo_session_send_email_task

    task_queue_on_commit(photo_session_send_email_task, session_id, send_number)


def _check_gallery_open(session: PhotoSession, now: datetime) -> None:
    if session.status != Status.COMPLETED:
        raise Conflict(
            gettext("%(external_id)s was never paid; it has no photos to send.")
            % {"external_id": session.external_id}
        )
    if session.photos_gone(now):
        raise Conflict(
            gettext("The photos of %(external_id)s have expired and are deleted; nothing to send.")
            % {"external_id": session.external_id},
            code="gallery_expired",
        )
    if not session.photos.exists():
        raise Conflict(
            gettext("%(external_id)s has no photos yet.") % {"external_id": session.external_id},
            code="no_photos",
        )


@transaction.atomic
def photo_session_resend_email(*, session: PhotoSession, email: str = "") -> PhotoSession:
    """Send the gallery email again (to `email` when given, which replaces the address)."""
    locked = PhotoSession.objects.select_for_update().get(pk=session.pk)
    _check_gallery_open(locked, timezone.now())
    fields = ["updated_at"]
    if email and email != locked.email:
        locked.email = email
        fields.append("email")
    locked.save(update_fields=fields)
    _queue_email(locked.pk, locked.email_send_count + 1)
    return locked


def _email_context(session: PhotoSession, expires_at: datetime) -> dict:
    return {
        "session": session,
        "gallery_url": gallery_url(session),
        "photo_count": session.photos.count(),
        "photos_expire_at": expires_at,
        "retention_days": settings.PHOTOBOX_PHOTO_RETENTION_DAYS,
        "invoice": session.send_invoice,
        "location": session.location,
        "package": session.price.description,
        "payment_method": f"QRIS ({(session.gateway or 'gateway').capitalize()})",
        "paid_at": session.paid_at,
    }


def photo_session_send_email(*, session_id: int, send_number: int) -> bool:
    """Email the gallery link (and the invoice when asked) as send number `send_number`.

    The number is claimed with a conditional UPDATE before sending and given back if sending
    fails, so a redelivered or retried task never sends the same email twice. The first email
    sets `email_sent_at` and starts the photos' retention (`photos_expire_at`).
    """
    claimed = PhotoSession.objects.filter(
        pk=session_id,
        email_send_count=send_number - 1,
        status=Status.COMPLETED,
        photos_cleaned_at__isnull=True,
    ).update(email_send_count=send_number)
    if not claimed:
        return False
    session = PhotoSession.objects.select_related("merchant", "location", "price").get(
        pk=session_id
    )
    now = timezone.now()
    first = session.email_sent_at is None
    expires_at = (
        now + timedelta(days=settings.PHOTOBOX_PHOTO_RETENTION_DAYS)
        if first
        else session.photos_expire_at
    )
    try:
        with translation.override(merchant_language(session.merchant)):  # labels in the context
            context = _email_context(session, expires_at)
        send_templated_email(  # renders dates in the shop's own time zone
            to=session.email,
            template="photobox_gallery",
            context=context,
            merchant=session.merchant,
        )
    except BaseException:
        PhotoSession.objects.filter(pk=session_id, email_send_count=send_number).update(
            email_send_count=send_number - 1
        )
        raise
    if first:
        PhotoSession.objects.filter(pk=session_id, email_sent_at__isnull=True).update(
            email_sent_at=now, photos_expire_at=expires_at, updated_at=now
        )
    return True


# --- cleanup ----------------------------------------------------------------------------------


@dataclass
class CleanupReport:
    deleted: list[str] = field(default_factory=list)  # external ids whose photos are gone
    failed: list[str] = field(default_factory=list)  # external ids to try again
    files_deleted: int = 0


def photo_session_clean_photos(*, session: PhotoSession) -> tuple[list[str], list[str]]:
    """Delete the session's folder from storage (Cloudinary: by prefix in batches, then the
    folder) and its photo rows; mark it cleaned. Returns (deleted names, failed names); with
    failures nothing is marked, so the next run tries again."""
    try:
        deleted, failed = storage_delete_prefix(default_storage, f"photobox/{session.external_id}")
    except Exception as error:
        logger.warning("Deleting the photos of %s failed: %s", session.external_id, error)
        return [], [session.external_id]
    if failed:
        logger.warning("Some photos of %s were not deleted: %s", session.external_id, failed)
        return deleted, failed
    now = timezone.now()
    with transaction.atomic():
        Photo.objects.filter(session_id=session.pk).delete()
        PhotoSession.objects.filter(pk=session.pk, photos_cleaned_at__isnull=True).update(
            photos_cleaned_at=now, updated_at=now
        )
    return deleted, []


def photo_sessions_clean_expired(
    *, days: int | None = None, now: datetime | None = None, limit: int = 1000
) -> CleanupReport:
    """Delete the photos of every gallery past `photos_expire_at`, or older than `days` days
    (counted from the email, or from the upload when no email went out). Idempotent: cleaned
    sessions are skipped. One failing session does not stop the others."""
    now = now or timezone.now()
    days = settings.PHOTOBOX_PHOTO_RETENTION_DAYS if days is None else days
    cutoff = now - timedelta(days=days)
    due = (
        PhotoSession.objects.filter(
            photos_cleaned_at__isnull=True, photos_uploaded_at__isnull=False
        )
        .annotate(kept_since=Coalesce("email_sent_at", "photos_uploaded_at"))
        .filter(Q(photos_expire_at__lte=now) | Q(kept_since__lte=cutoff))
        .only("pk", "external_id")
        .order_by("pk")[:limit]
    )
    report = CleanupReport()
    for session in due:
        deleted, failed = photo_session_clean_photos(session=session)
        report.files_deleted += len(deleted)
        (report.failed if failed else report.deleted).append(session.external_id)
    return report


__all__ = [
    "CleanupReport",
    "UploadResult",
    "photo_session_add_photos",
    "photo_session_clean_photos",
    "photo_session_resend_email",
    "photo_session_send_email",
    "photo_sessions_clean_expired",
]
