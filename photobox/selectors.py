"""Reads for photobox: the kiosk poll (the hot path), packages, galleries and staff lists."""

from datetime import datetime

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from merchants.errors import DomainError, NotFound
from photobox.auth import KioskIdentity
from photobox.models import KioskPrice, Photo, PhotoSession, effective_status

Status = PhotoSession.Status


class GalleryGone(DomainError):
    """The gallery existed but its photos have expired (410 Gone). `session` is the session
    whose photos are gone, so the page can speak the shop's language."""

    status_code = 410
    code = "gallery_expired"

    def __init__(self, message: str, *, session: PhotoSession | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.session = session


def gallery_gone_message(session: PhotoSession) -> str:
    """When the photos were deleted, in the active language, on the shop's calendar."""
    gone_at = timezone.localtime(
        session.photos_expire_at or session.photos_cleaned_at, session.merchant.tzinfo
    )
    return gettext("These photos were available until %(localtime)s and have been deleted.") % {
        "localtime": date_format(gone_at, "j F Y")
    }


def gallery_url(session: PhotoSession) -> str:
    return f"{settings.GALLERY_BASE_URL}/gallery/{session.gallery_token}/"


def _no_session(external_id: str) -> NotFound:
    # Another kiosk's session reads exactly like one that does not exist.
    return NotFound(
        gettext("There is no session %(external_id)s at this kiosk.") % {"external_id": external_id}
    )


def kiosk_session_status(
    *, kiosk: KioskIdentity, external_id: str, now: datetime | None = None
) -> dict:
    """The poll: one indexed read (external_id is unique), no gateway call.

    A PENDING session past its expiry reads EXPIRED at once; the beat makes it so in the
    database within a minute and gives its quota back.
    """
    try:
        # get(), not first(): no ORDER BY on a unique lookup.
        row = PhotoSession.objects.values("external_id", "status", "paid_at", "expires_at").get(
            external_id=external_id, location_id=kiosk.location_id
        )
    except PhotoSession.DoesNotExist:
        raise _no_session(external_id) from None
    now = now or timezone.now()
    row["status"] = effective_status(row["status"], row["expires_at"], now)
    left = (row["expires_at"] - now).total_seconds()
    row["expires_in"] = max(int(left), 0) if row["status"] == Status.PENDING else 0
    return row


def photo_session_for_kiosk(*, kiosk: KioskIdentity, external_id: str) -> PhotoSession:
    session = PhotoSession.objects.filter(
        external_id=external_id, location_id=kiosk.location_id
    ).first()
    if session is None:
        raise _no_session(external_id)
    return session


def kiosk_price_list(*, kiosk: KioskIdentity) -> QuerySet[KioskPrice]:
    """The packages a kiosk can sell now (sold-out ones included, flagged by quota)."""
    return KioskPrice.objects.filter(merchant_id=kiosk.merchant_id, is_active=True).filter(
        Q(location__isnull=True) | Q(location_id=kiosk.location_id)
    )


def gallery_session(*, token: str, now: datetime | None = None) -> PhotoSession:
    """The paid session behind a gallery link, with its photos; 404 for an unknown link and
    410 once the photos have expired or were deleted."""
    session = (
        PhotoSession.objects.filter(gallery_token=token, status=Status.COMPLETED)
        .select_related("merchant", "location")
        .prefetch_related(Prefetch("photos", queryset=Photo.objects.order_by("order")))
        .first()
    )
    if session is None:
        raise NotFound(
            gettext("There is no gallery at this address. Check the link in your email.")
        )
    if session.photos_gone(now or timezone.now()):
        raise GalleryGone(gallery_gone_message(session), session=session)
    return session


def photo_urls(photo: Photo) -> dict:
    """Where a photo is shown, and a URL that downloads it (a Cloudinary attachment URL; on
    other storages the same URL, which the page offers with `<a download>`)."""
    storage = photo.file.storage
    url = storage.url(photo.file.name)
    filename = f"{photo.session.external_id}-{photo.order:02d}"
    download = getattr(storage, "download_url", None)
    return {"url": url, "download_url": download(photo.file.name, filename) if download else url}


def photo_count() -> Coalesce:
    """Per session: how many photos it has, as a subquery (a long list or an export streams
    row by row, with no GROUP BY over every session first)."""
    photos = (
        Photo.objects.filter(session=OuterRef("pk"))
        .order_by()
        .values("session")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(photos, output_field=IntegerField()), 0)


def photo_session_queryset() -> QuerySet[PhotoSession]:
    """Sessions for staff lists: location, package and payment joined, photos counted (by
    `photo_count()`, so a page's count is a plain COUNT and its rows are not grouped)."""
    return PhotoSession.objects.select_related("location", "price", "payment").annotate(
        photo_count=photo_count()
    )


def photo_session_reference_labels(
    refs: list[tuple[int, str]],
) -> dict[tuple[int, str], tuple[str, str]]:
    """The payments admin's labels for photo sessions: (merchant id, external id) → (external
    id, admin URL). One query, matched within the payment's merchant."""
    from django.urls import reverse

    rows = PhotoSession.objects.filter(external_id__in={ref for _, ref in refs}).values_list(
        "pk", "merchant_id", "external_id"
    )
    return {
        (merchant_id, external_id): (
            external_id,
            reverse("admin:photobox_photosession_change", args=[pk]),
        )
        for pk, merchant_id, external_id in rows
    }
