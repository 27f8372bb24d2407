from django.conf import settings
from django.core.cache import cache
from django.http import FileResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from merchants.api.authentication import staff_token_create
from merchants.api.base import ID_PATTERN, MerchantScopedMixin, MerchantScopedViewSet
from merchants.api.permissions import IsOperator, Role
from merchants.api.serializers import (
    ExportJobCreateSerializer,
    ExportJobSerializer,
    MerchantSerializer,
    StaffLoginSerializer,
    TableLocationSerializer,
    TokenSerializer,
)
from merchants.errors import Conflict
from merchants.export_jobs import export_job_create, export_job_open
from merchants.filters import MerchantFilterSet, TableLocationFilterSet
from merchants.models import ExportJob, Membership, Merchant, StaffToken, TableLocation
from merchants.tenancy import roles_by_merchant


class MerchantViewSet(viewsets.ModelViewSet):
    """Merchants you belong to. The operator sees and manages all of them."""

    serializer_class = MerchantSerializer
    filterset_class = MerchantFilterSet
    lookup_value_regex = ID_PATTERN
    search_fields = ["name", "slug"]
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]

    def get_queryset(self):
        queryset = Merchant.objects.all()
        user = self.request.user
        if getattr(self, "swagger_fake_view", False) or not user.is_authenticated:
            return queryset.none()
        if user.is_superuser:
            return queryset
        return queryset.filter(pk__in=roles_by_merchant(user).keys())

    def get_permissions(self):
        if self.action in ("create", "destroy"):
            return [IsAuthenticated(), IsOperator()]
        return super().get_permissions()

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.request.user.is_authenticated:
            context["roles"] = roles_by_merchant(self.request.user)
        return context

    def perform_update(self, serializer):
        user = self.request.user
        role = roles_by_merchant(user).get(serializer.instance.pk)
        if not user.is_superuser and role != Membership.Role.OWNER:
            raise PermissionDenied("Only an owner of this merchant can change it.")
        serializer.save()


class TableLocationViewSet(MerchantScopedViewSet):
    """Tables of the merchant (officers read, owners write)."""

    queryset = TableLocation.objects.all()
    serializer_class = TableLocationSerializer
    filterset_class = TableLocationFilterSet
    search_fields = ["number", "name", "zone"]
    ordering_fields = ["number", "name", "capacity", "created_at"]
    ordering = ["number"]


def _login_failure_key(request, username: str) -> str:
    address = request.META.get("REMOTE_ADDR", "")
    return f"staff-login-failures:{username.lower()}:{address}"


class StaffLoginThrottle(AnonRateThrottle):
    scope = "staff_login"


class StaffTokenView(APIView):
    """Exchange a staff username and password for an API token."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [StaffLoginThrottle]

    @extend_schema(request=StaffLoginSerializer, responses={200: TokenSerializer}, auth=[])
    def post(self, request):
        username = str(request.data.get("username", ""))
        failure_key = _login_failure_key(request, username)
        failures = cache.get(failure_key, 0)
        if failures >= settings.STAFF_LOGIN_MAX_FAILURES:
            raise Throttled(
                wait=settings.STAFF_LOGIN_LOCKOUT_SECONDS,
                detail="Too many failed logins for this account; try again later.",
            )
        serializer = StaffLoginSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            if "username" in request.data and "password" in request.data:
                cache.set(failure_key, failures + 1, settings.STAFF_LOGIN_LOCKOUT_SECONDS)
            serializer.is_valid(raise_exception=True)
        cache.delete(failure_key)
        token = staff_token_create(user=serializer.validated_data["user"])
        return Response({"token": token}, status=status.HTTP_200_OK)


class StaffLogoutView(APIView):
    """Revoke the token this request was made with."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        # A session caller has no token to revoke; answering 204 keeps logout idempotent.
        if isinstance(request.auth, StaffToken):
            request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class ExportJobViewSet(
    MerchantScopedMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """CSV exports written in the background, for owners: `POST` one (202 with the job and its
    `url`), poll that `url` until `status` is `done`, then `GET` its `download_url`.

    Each caller sees and downloads only the exports they asked for, of the request's merchant.
    """

    queryset = ExportJob.objects.all()
    serializer_class = ExportJobSerializer
    read_role = Role.OWNER
    write_role = Role.OWNER
    filterset_fields = ["status", "kind"]
    search_fields: list[str] = []
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]

    def get_queryset(self):
        # Your own exports only: the file is yours, even another owner's is not.
        return super().get_queryset().filter(requested_by=self.request.user)

    @extend_schema(request=ExportJobCreateSerializer, responses={202: ExportJobSerializer})
    def create(self, request, *args, **kwargs):
        serializer = ExportJobCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = export_job_create(
            user=request.user,
            merchant=self.merchant,
            kind=serializer.validated_data["kind"],
            filters=serializer.validated_data["filters"],
        )
        body = ExportJobSerializer(job, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(description="The CSV file (UTF-8 with a BOM).")
        }
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        job = self.get_object()
        file = export_job_open(job, request.user)
        if file is None:
            raise Conflict(
                f"This export is {job.get_status_display().lower()}; download it once its status "
                "is done.",
                code="export_not_ready",
            )
        response = FileResponse(
            file, as_attachment=True, filename=job.filename, content_type="text/csv; charset=utf-8"
        )
        response["Cache-Control"] = "no-store"
        return response
