"""The gallery page a customer opens from the email: public only through its token."""

import posixpath

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.http import require_GET

from merchants.errors import NotFound
from merchants.i18n import merchant_language
from photobox.selectors import GalleryGone, gallery_gone_message, gallery_session, photo_urls


def gallery_private(response: HttpResponse) -> HttpResponse:
    """The headers of every gallery answer, the page and its JSON alike."""
    # The token is the only key to the photos: keep it out of referrers, caches and indexes
    # (the images themselves come from the media host, which must not learn the page URL).
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_GET
def gallery(request, token: str):
    try:
        session = gallery_session(token=token)
    except GalleryGone as error:
        # The shop is known: its language, as the gallery itself would have spoken.
        with translation.override(merchant_language(error.session.merchant)):
            context = {"message": gallery_gone_message(error.session)}
            page = render(request, "photobox/gallery_gone.html", context, status=410)
        return gallery_private(page)
    except NotFound as error:
        page = render(request, "photobox/gallery_gone.html", {"message": error.message}, status=404)
        return gallery_private(page)
    photos = [
        {
            "photo": photo,
            **photo_urls(photo),
            "filename": f"{session.external_id}-{photo.order:02d}"
            f"{posixpath.splitext(photo.file.name)[1]}",
        }
        for photo in session.photos.all()
    ]
    context = {
        "session": session,
        "merchant": session.merchant,
        "photos": photos,
        "retention_days": settings.PHOTOBOX_PHOTO_RETENTION_DAYS,
    }
    # Times as the shop tells them, in the shop's language (customers have no account).
    with (
        timezone.override(session.merchant.tzinfo),
        translation.override(merchant_language(session.merchant)),
    ):
        return gallery_private(render(request, "photobox/gallery.html", context))
