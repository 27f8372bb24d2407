from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from merchants.actors import Actor
from merchants.api.base import MerchantScopedReadOnlyViewSet, MerchantScopedViewSet
from merchants.api.permissions import Role
from payments.api.serializers import (
    PaymentDetailSerializer,
    PaymentMethodSerializer,
    PaymentRefundSerializer,
    PaymentSerializer,
    WebhookAckSerializer,
)
from payments.filters import PaymentFilterSet
from payments.models import Payment, PaymentEvent, PaymentMethod
from payments.services import payment_check_status, payment_refund
from payments.webhooks import payment_handle_midtrans_notification, payment_handle_xendit_callback


class PaymentViewSet(MerchantScopedReadOnlyViewSet):
    """Payments of the merchant (read-only; officers read, owners refund).

    Payments are created by the apps that sell (orders, photobox); here staff look them up,
    ask the gateway again, and refund.
    """

    queryset = Payment.objects.all()
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilterSet
    search_fields = ["gateway_order_id", "gateway_transaction_id", "reference_id"]
    ordering_fields = ["created_at", "paid_at", "amount", "status"]
    ordering = ["-created_at", "-pk"]
    action_roles = {"check_status": Role.OFFICER, "refund": Role.OWNER}

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                Prefetch("events", queryset=PaymentEvent.objects.order_by("created_at", "pk"))
            )
        return queryset

    def get_serializer_class(self):
        if self.action == "retrieve":
            return PaymentDetailSerializer
        return PaymentSerializer

    @extend_schema(
        request=None,
        responses={200: PaymentSerializer},
    )
    @action(detail=True, methods=["post"], url_path="check-status")
    def check_status(self, request, pk=None):
        """Ask the gateway where this payment stands and apply the answer."""
        payment = payment_check_status(
            payment=self.get_object(), actor=Actor.staff(self.request.user)
        )
        return Response(PaymentSerializer(payment, context=self.get_serializer_context()).data)

    @extend_schema(
        request=PaymentRefundSerializer,
        responses={200: PaymentSerializer},
    )
    @action(detail=True, methods=["post"])
    def refund(self, request, pk=None):
        """Refund all that is left, or `amount` of it (owner only)."""
        payment = self.get_object()
        serializer = PaymentRefundSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        payment = payment_refund(
            payment=payment,
            amount=serializer.validated_data.get("amount"),
            reason=serializer.validated_data["reason"],
            actor=Actor.staff(request.user),
        )
        return Response(PaymentSerializer(payment, context=self.get_serializer_context()).data)


class PaymentMethodViewSet(MerchantScopedViewSet):
    """The ways the merchant takes money: cash, card, transfer, printed QRIS, e-wallet, other,
    and the gateways (officers read, owners write). A method with payments cannot be deleted
    (switch it off instead)."""

    queryset = PaymentMethod.objects.all()
    serializer_class = PaymentMethodSerializer
    filterset_fields = ["kind", "is_active"]
    search_fields = ["name"]
    ordering_fields = ["sort_order", "name", "created_at"]
    ordering = ["sort_order", "name", "pk"]


def _json_object(request) -> dict:
    if not isinstance(request.data, dict):
        raise ParseError("Expected a JSON object.")
    return dict(request.data)


class MidtransNotificationView(APIView):
    """Midtrans HTTP notification (set this URL in the Midtrans dashboard).

    Logged first; the `signature_key` is checked with the merchant's server key (403 if wrong);
    then the status is fetched from Midtrans and applied. Unknown order_id → 404.
    """

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []  # Midtrans retries on its own schedule; never turn it away.

    @extend_schema(
        request={"application/json": {"type": "object", "additionalProperties": True}},
        responses={200: WebhookAckSerializer},
        auth=[],
    )
    def post(self, request):
        payment = payment_handle_midtrans_notification(body=_json_object(request))
        return Response({"status": "ok", "payment_status": payment.status})


class XenditCallbackView(APIView):
    """Xendit QR payment callback; `x-callback-token` must match XENDIT_CALLBACK_TOKEN."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        request={"application/json": {"type": "object", "additionalProperties": True}},
        parameters=[
            OpenApiParameter("x-callback-token", str, OpenApiParameter.HEADER, required=True)
        ],
        responses={200: WebhookAckSerializer},
        auth=[],
    )
    def post(self, request):
        payment = payment_handle_xendit_callback(
            body=_json_object(request), callback_token=request.headers.get("x-callback-token")
        )
        return Response({"status": "ok", "payment_status": payment.status}, status.HTTP_200_OK)
