"""The bench's baseline: a bare Django view, no middleware, one indexed read.

It is served by the same gunicorn workers as the product (see `bench.wsgi`) under `/bench/`,
which the product's URLs never contain. What it costs is Django's request/response cycle, one
query on a unique index and a small JSON body: the floor under every endpoint, and what the
kiosk poll (the same read, by `PhotoSession.external_id`) is held to.
"""

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.http import Http404, JsonResponse
from django.urls import path

from orders.models import Order


def order_by_number(request, merchant_id: int, number: str):
    # Until photobox lands: an Order by its unique (merchant, number), the poll's kind of read.
    row = (
        Order.objects.filter(merchant_id=merchant_id, number=number)
        .values("number", "status", "payment_status", "total_amount")
        .first()
    )
    if row is None:
        raise Http404
    return JsonResponse({**row, "total_amount": str(row["total_amount"])})


urlpatterns = [
    path("bench/baseline/<int:merchant_id>/<str:number>", order_by_number),
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
