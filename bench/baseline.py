"""The bench's baseline: a bare Django view, no middleware, one indexed read.

It is served by the same gunicorn workers as the product (see `bench.wsgi`) under `/bench/`,
which the product's URLs never contain. What it costs is Django's request/response cycle, one
query on a unique index and a small JSON body: the floor under every endpoint, and what the
kiosk poll is held to. It reads what the poll reads, the same way: a `PhotoSession` by its
unique `external_id` within one kiosk location, the poll's four columns, answered as JSON. It
checks no key, computes no effective status and encrypts nothing: that is the poll's own cost.
"""

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.http import Http404, JsonResponse
from django.urls import path

from photobox.models import PhotoSession


def photo_session_by_external_id(request, location_id: int, external_id: str):
    # The poll's statement: get(), no ORDER BY, on the unique index of external_id.
    try:
        row = PhotoSession.objects.values("external_id", "status", "paid_at", "expires_at").get(
            external_id=external_id, location_id=location_id
        )
    except PhotoSession.DoesNotExist:
        raise Http404 from None
    return JsonResponse(row)


urlpatterns = [
    path("bench/baseline/<int:location_id>/<str:external_id>", photo_session_by_external_id),
]


class BareHandler(WSGIHandler):
    """Django's WSGI handler with an empty middleware chain and this module's URLs."""

    def load_middleware(self, is_async=False):
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        self._middleware_chain = convert_exception_to_response(self._get_response)

    def get_response(self, request):
        request.urlconf = __name__
        return super().get_response(request)
