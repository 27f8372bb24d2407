"""Photobox API: staff (locations, prices, transactions), kiosks, the gallery, maintenance."""

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import SearchFilter
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from merchants.api.base import MerchantScopedMixin, MerchantScopedViewSet
from merchants.api.parsers import BoundedFormParser
from photobox import photos, selectors, services
from photobox.api.pagination import PageOrOffsetPagination
from photobox.api.serializers import (
    CleanupSerializer,
    EmailQueuedSerializer,
    EncryptedSerializer,
    GallerySerializer,
    KioskLocationSerializer,
    KioskLocationWithKeySerializer,
    KioskPriceOfferSerializer,
    KioskPriceSerializer,
    KioskSessionCreatedSerializer,
    KioskSessionCreateSerializer,
    KioskSessionStatusSerializer,
    KioskUploadedSerializer,
    KioskUploadSerializer,
    PhotoSerializer,
    PhotoSessionDetailSerializer,
    PhotoSessionSerializer,
    ResendEmailSerializer,
    kiosk_status_body,
)
from photobox.auth import (
    IsKiosk,
    IsMaintenance,
    KioskKeyAuthentication,
    KioskRateThrottle,
    MaintenanceTokenAuthentication,
)
from photobox.encryption import maybe_encrypt
from photobox.filters import (
    KioskLocationFilterSet,
    KioskPriceFilterSet,
    PhotoSessionFilterSet,
    SortFilter,
)
from photobox.models import KioskLocation, KioskPrice, PhotoSession
from photobox.views import gallery_private

# What the URLs accept; anything else never reaches a view (a plain 404).
EXTERNAL_ID_PATTERN = r"TRX-[0-9]{1,18}-[0-9]{14}-[0-9a-f]{8}"
GALLERY_TOKEN_PATTERN = r"[A-Za-z0-9_-]{16,128}"  # noqa: S105 - a URL pattern
ERROR_REF = {"$ref": "#/components/schemas/Error"}


def _maybe_encrypted(serializer, name: str):
    return PolymorphicProxySerializer(
        component_name=name,
        serializers=[serializer, EncryptedSerializer],
        resource_type_field_name=None,
    )


def _path(name: str, pattern: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(
        name, OpenApiTypes.STR, OpenApiParameter.PATH, description=description, pattern=pattern
    )


EXTERNAL_ID = _path("external_id", EXTERNAL_ID_PATTERN, "e.g. TRX-1-20250101093000-3fa9c2d1")


class KioskView(APIView):
    """Base of the kiosk endpoints: the X-Kiosk-Key header and nothing else opens them."""

    authentication_classes = [KioskKeyAuthentication]
    permission_classes = [IsKiosk]
    throttle_classes = [KioskRateThrottle]
    renderer_classes = [JSONRenderer]


# --- staff --------------------------------------------------------------------------------------


class KioskLocationViewSet(MerchantScopedViewSet):
    """Kiosk locations (officers read, owners write). A new location answers its key once."""

    queryset = KioskLocation.objects.all()
    serializer_class = KioskLocationSerializer
    filterset_class = KioskLocationFilterSet
    search_fields = ["machine_code", "name", "address"]
    ordering_fields = ["machine_code", "name", "created_at"]
    ordering = ["machine_code"]

    @extend_schema(responses={201: KioskLocationWithKeySerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        location, key = services.kiosk_location_create(
            merchant=self.merchant, **serializer.validated_data
        )
        location.kiosk_key = key
        return Response(
            KioskLocationWithKeySerializer(location).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses={200: KioskLocationWithKeySerializer})
    @action(detail=True, methods=["post"], url_path="rotate-key")
    def rotate_key(self, request, pk=None):
        """A new key for this kiosk, shown this once; the old key stops working at once."""
        location = self.get_object()
        location.kiosk_key = services.kiosk_location_rotate_key(location=location)
        return Response(KioskLocationWithKeySerializer(location).data)


class KioskPriceViewSet(MerchantScopedViewSet):
    """Packages the kiosks sell, with the quota left (officers read, owners write)."""

    queryset = KioskPrice.objects.select_related("location")
    serializer_class = KioskPriceSerializer
    filterset_class = KioskPriceFilterSet
    search_fields = ["description"]
    ordering_fields = ["sort_order", "amount", "created_at"]
    ordering = ["sort_order", "amount"]


class PhotoSessionViewSet(
    MerchantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Photo sessions: staff read them and resend their email (officers read; filters, search,
    `page`/`limit` up to 100). `POST` on the same collection path is the kiosk's sale,
    authenticated by `X-Kiosk-Key` only."""

    queryset = PhotoSession.objects.all()
    serializer_class = PhotoSessionSerializer
    filterset_class = PhotoSessionFilterSet
    pagination_class = PageOrOffsetPagination
    search_fields = ["external_id", "gateway_order_id", "gateway_transaction_id", "location__name"]
    ordering_fields = ["created_at", "amount", "status", "paid_at", "expires_at", "external_id"]
    ordering = ["-created_at", "-pk"]
    # SortFilter: `ordering`, or `sort_by` + `sort_order`.
    filter_backends = [DjangoFilterBackend, SearchFilter, SortFilter]

    def base_queryset(self):
        return selectors.photo_session_queryset()

    def get_serializer_class(self):
        if self.action == "retrieve":
            return PhotoSessionDetailSerializer
        return PhotoSessionSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("photos")
        return queryset

    @extend_schema(
        request=ResendEmailSerializer,
        responses={
            202: EmailQueuedSerializer,
            409: OpenApiResponse(ERROR_REF, description="Not paid, no photos, or expired."),
        },
    )
    @action(detail=True, methods=["post"], url_path="resend-email")
    def resend_email(self, request, pk=None):
        """Send the gallery email again, optionally to a corrected address (owners)."""
        body = ResendEmailSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        session = photos.photo_session_resend_email(
            session=self.get_object(), email=body.validated_data.get("email", "")
        )
        return Response(
            {"detail": "The gallery email is on its way.", "email": session.email},
            status=status.HTTP_202_ACCEPTED,
        )


# --- kiosk --------------------------------------------------------------------------------------


class KioskSessionCreateView(KioskView):
    """The kiosk's sale: reserves a unit of the package's quota and charges QRIS, authenticated
    by `X-Kiosk-Key` only. `GET` on the same path is the staff's list of sessions."""

    # The path is also the staff's list of sessions: the URL conf passes that list's view here
    # (`as_view(other_methods_view=...)`), and every method but POST goes to it, with the staff's
    # authentication, permissions and throttles.
    other_methods_view = None

    def dispatch(self, request, *args, **kwargs):
        if request.method != "POST" and self.other_methods_view is not None:
            return self.other_methods_view(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    @extend_schema(
        summary="Kiosk: sell a session (reserve quota, charge QRIS)",
        request=KioskSessionCreateSerializer,
        responses={
            201: KioskSessionCreatedSerializer,
            409: OpenApiResponse(ERROR_REF, description="Sold out, or no gateway configured."),
            502: OpenApiResponse(ERROR_REF, description="The gateway failed; nothing was sold."),
        },
    )
    def post(self, request):
        body = KioskSessionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        session = services.photo_session_create(kiosk=request.auth, **body.validated_data)
        return Response(KioskSessionCreatedSerializer(session).data, status=status.HTTP_201_CREATED)


class KioskTransactionStatusView(KioskView):
    """The kiosk's poll, every few seconds: one query once the key is known (the key's lookup is
    cached, and remembered in the process for the poll), no gateway call, no throttle
    bookkeeping."""

    throttle_classes = []

    def get_authenticators(self):
        return [KioskKeyAuthentication(local=True)]  # with the poll's process-local tier

    @extend_schema(
        summary="Kiosk: poll a session's status",
        parameters=[EXTERNAL_ID],
        responses={200: _maybe_encrypted(KioskSessionStatusSerializer, "KioskSessionStatusBody")},
    )
    def get(self, request, external_id: str):
        row = selectors.kiosk_session_status(kiosk=request.auth, external_id=external_id)
        return Response(maybe_encrypt(kiosk_status_body(row)))


class KioskPhotoUploadView(KioskView):
    """Photos of a paid session; the gallery email follows."""

    parser_classes = [MultiPartParser, BoundedFormParser]

    @extend_schema(
        summary="Kiosk: upload the session's photos (multipart `files`)",
        parameters=[EXTERNAL_ID],
        request={"multipart/form-data": KioskUploadSerializer},
        responses={
            201: KioskUploadedSerializer,
            409: OpenApiResponse(
                ERROR_REF, description="Not paid, expired, already emailed, or too many photos."
            ),
        },
    )
    def post(self, request, external_id: str):
        files = request.FILES.getlist("files")
        result = photos.photo_session_add_photos(
            kiosk=request.auth, external_id=external_id, uploads=files
        )
        body = {
            "external_id": result.session.external_id,
            "photo_count": result.photo_count,
            "photos": PhotoSerializer(result.photos, many=True, context={"request": request}).data,
            "gallery_url": selectors.gallery_url(result.session),
        }
        return Response(body, status=status.HTTP_201_CREATED)


class KioskPriceListView(KioskView):
    """The packages this kiosk sells now."""

    throttle_classes = []

    @extend_schema(
        summary="Kiosk: packages on offer", responses={200: KioskPriceOfferSerializer(many=True)}
    )
    def get(self, request):
        prices = selectors.kiosk_price_list(kiosk=request.auth)
        return Response(KioskPriceOfferSerializer(prices, many=True).data)


# --- gallery ------------------------------------------------------------------------------------


class GalleryView(APIView):
    """A customer's photos, public only through the unguessable link; 410 after expiry."""

    authentication_classes = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]

    @extend_schema(
        summary="Gallery: the photos behind a gallery link",
        auth=[],
        parameters=[_path("token", GALLERY_TOKEN_PATTERN, "The token of the emailed link.")],
        responses={
            200: _maybe_encrypted(GallerySerializer, "GalleryBody"),
            410: OpenApiResponse(ERROR_REF, description="The photos have expired."),
        },
    )
    def get(self, request, token: str):
        session = selectors.gallery_session(token=token)
        data = GallerySerializer(session, context={"request": request}).data
        return gallery_private(Response(maybe_encrypt(data)))


# --- maintenance --------------------------------------------------------------------------------


class MaintenanceCleanupView(APIView):
    """Delete photos older than `days` days now (what the daily beat task does)."""

    authentication_classes = [MaintenanceTokenAuthentication]
    permission_classes = [IsMaintenance]
    throttle_classes = []
    renderer_classes = [JSONRenderer]

    @extend_schema(
        summary="Maintenance: delete expired photos now",
        request=None,
        parameters=[
            OpenApiParameter(
                "days",
                OpenApiTypes.INT,
                description="Delete galleries older than this many days (1-3650; default: "
                "PHOTOBOX_PHOTO_RETENTION_DAYS).",
            )
        ],
        responses={200: CleanupSerializer},
    )
    def post(self, request):
        raw = request.query_params.get("days")
        days = settings.PHOTOBOX_PHOTO_RETENTION_DAYS
        if raw is not None:
            days = int(raw) if raw.isdigit() and len(raw) <= 4 else 0
            if not 1 <= days <= 3650:
                raise ValidationError({"days": [gettext("A whole number of days from 1 to 3650.")]})
        report = photos.photo_sessions_clean_expired(days=days)
        return Response(
            {
                "days": days,
                "deleted": report.deleted,
                "failed": report.failed,
                "files_deleted": report.files_deleted,
            }
        )
