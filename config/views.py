"""Error pages (JSON under /api/, HTML pages elsewhere: the 403 inside the admin's frame under
/admin/) and local media files."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views import defaults, static

from merchants.api.exceptions import json_404, json_500

LOCAL_STORAGE = "django.core.files.storage.FileSystemStorage"


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return json_404(request, exception)
    return defaults.page_not_found(request, exception)


def permission_denied(request, exception=None):
    """A friendly 403 with the reason: inside the admin's frame (its menu, its header) under
    /admin/, a plain page elsewhere. The API answers its own 403s as JSON (DRF)."""
    from django.contrib import admin

    reason = str(exception or "") if exception else ""
    context = {"reason": reason, "layout": "simple_page.html"}
    if request.path.startswith("/admin/"):
        context.update(admin.site.each_context(request), layout="admin/base_site.html")
        context["title"] = _("You cannot open this page")
    return render(request, "403.html", context, status=403)


def server_error(request):
    if request.path.startswith("/api/"):
        return json_500(request)
    return defaults.server_error(request)


def local_media(request, path):
    """Media files of the embedded default (files under MEDIA_ROOT), served by this process.

    With Cloudinary or an S3 bucket the files' URLs point there, and this answers 404: a web
    process never streams uploads from another store.
    """
    if settings.STORAGES["default"]["BACKEND"] != LOCAL_STORAGE:
        raise Http404("Media files are served by the media store.")
    return static.serve(request, path, document_root=settings.MEDIA_ROOT)
