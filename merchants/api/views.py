from django.http import FileResponse
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied, Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from merchants.api.authentication import staff_token_create
from merchants.api.base import ID_PATTERN, MerchantScopedMixin, MerchantScopedViewSet
from merchants.api.permissions import IsOperator, Role
from merchants.api.serializers import (
    ROLE_NAMES,
    ExportJobCreateSerializer,
    ExportJobSerializer,
    MerchantSerializer,
    StaffApiTokenSerializer,
    StaffInvitationAcceptedSerializer,
    StaffInvitationAcceptSerializer,
    StaffInvitationSerializer,
    StaffLoginSerializer,
    StaffMeSerializer,
    TableLocationSerializer,
    TokenSerializer,
)
from merchants.errors import Conflict
from merchants.export_jobs import export_job_create, export_job_open
from merchants.filters import MerchantFilterSet, TableLocationFilterSet
from merchants.login_guard import (
    client_address,
    lock_message,
    login_failures_clear,
    login_lock_wait,
)
from merchants.models import (
    ExportJob,
    Membership,
    Merchant,
    StaffInvitation,
    StaffToken,
    TableLocation,
)
from merchants.selectors import staff_me
from merchants.services import (
    staff_invitation_accept,
    staff_invitation_create,
    staff_invitation_revoke,
)
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
            raise PermissionDenied(gettext("Only an owner of this merchant can change it."))
        serializer.save()


class TableLocationViewSet(MerchantScopedViewSet):
    """Tables of the merchant (officers read, owners write)."""

    queryset = TableLocation.objects.all()
    serializer_class = TableLocationSerializer
    filterset_class = TableLocationFilterSet
    search_fields = ["number", "name", "zone"]
    ordering_fields = ["number", "name", "capacity", "created_at"]
    ordering = ["number"]


class LoginLocked(Throttled):
    """429 with the lock's own message (DRF's would append "Expected available in N seconds")
    and Retry-After."""

    def __init__(self, wait: int):
        APIException.__init__(self, lock_message(wait))
        self.wait = wait


class StaffLoginThrottle(AnonRateThrottle):
    scope = "staff_login"


class StaffTokenView(APIView):
    """Exchange a staff username and password for an API token.

    Failed logins lock the username from that address, and the address itself, for a while
    (see merchants/login_guard.py); the 429 says when to try again (also in Retry-After).
    """

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [StaffLoginThrottle]

    @extend_schema(request=StaffLoginSerializer, responses={200: TokenSerializer}, auth=[])
    def post(self, request):
        username = request.data.get("username", "") if isinstance(request.data, dict) else ""
        address = client_address(request)
        wait = login_lock_wait(username=username, address=address)
        if wait:
            raise LoginLocked(wait)
        # A wrong password is counted by the user_login_failed signal (login_guard).
        serializer = StaffLoginSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        login_failures_clear(username=username, address=address)
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


class StaffApiTokenViewSet(
    mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Your own API tokens (never their keys): see where you are signed in, revoke any of them.

    `current` marks the token this request was made with.
    """

    serializer_class = StaffApiTokenSerializer
    lookup_value_regex = ID_PATTERN
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False) or not self.request.user.is_authenticated:
            return StaffToken.objects.none()
        return StaffToken.objects.filter(user=self.request.user).order_by("-created_at", "-pk")


class StaffMeView(APIView):
    """Who you are: your account, and your role at each merchant you belong to."""

    @extend_schema(responses={200: StaffMeSerializer})
    def get(self, request):
        if not getattr(request.user, "is_staff_principal", True):
            raise PermissionDenied(gettext("Customers cannot use this endpoint."))
        return Response(StaffMeSerializer(staff_me(user=request.user)).data)


class StaffInvitationViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    MerchantScopedMixin,
    viewsets.GenericViewSet,
):
    """Invitations to work at the merchant (owners only). Creating one emails a link; the
    invitee accepts it while signed in, or creates an account there. DELETE revokes one not
    yet accepted."""

    queryset = StaffInvitation.objects.select_related("invited_by", "accepted_by")
    serializer_class = StaffInvitationSerializer
    read_role = Role.OWNER
    write_role = Role.OWNER
    filterset_fields = ["email", "role"]
    ordering_fields = ["created_at", "email"]
    ordering = ["-created_at", "-pk"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = staff_invitation_create(
            merchant=self.merchant,
            email=data["email"],
            role=ROLE_NAMES[data["role"]],
            invited_by=self.request.user,
        )

    def perform_destroy(self, instance):
        staff_invitation_revoke(invitation=instance)


class StaffInvitationAcceptView(APIView):
    """Accept an invitation as the signed-in user (the token is the last part of the emailed
    link). You then have its role at its merchant."""

    @extend_schema(
        request=StaffInvitationAcceptSerializer, responses={200: StaffInvitationAcceptedSerializer}
    )
    def post(self, request):
        if not getattr(request.user, "is_staff_principal", True):
            raise PermissionDenied(gettext("Customers cannot use this endpoint."))
        serializer = StaffInvitationAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = staff_invitation_accept(
            token=serializer.validated_data["token"], user=request.user
        )
        body = {
            "merchant_id": membership.merchant_id,
            "merchant_slug": membership.merchant.slug,
            "merchant_name": membership.merchant.name,
            "role": Membership.Role(membership.role).label.lower(),
        }
        return Response(StaffInvitationAcceptedSerializer(body).data)


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
                gettext("This export is %(lower)s; download it once its status is done.")
                % {"lower": job.get_status_display().lower()},
                code="export_not_ready",
            )
        response = FileResponse(
            file, as_attachment=True, filename=job.filename, content_type="text/csv; charset=utf-8"
        )
        response["Cache-Control"] = "no-store"
        return response
