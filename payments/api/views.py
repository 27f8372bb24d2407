from collections.abc import Callable

from django.db.models import Prefetch
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed, ParseError, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from merchants.actors import Actor
from merchants.api.base import MerchantScopedReadOnlyViewSet, MerchantScopedViewSet
from merchants.api.permissions import Role
from merchants.errors import NotFound, PermissionDenied
from merchants.observability.metrics import payment_webhook_observe
from payments.api.serializers import (
    CashMovementCreateSerializer,
    CashMovementSerializer,
    PaymentDetailSerializer,
    PaymentMethodSerializer,
    PaymentRefundSerializer,
    PaymentSerializer,
    ShiftCloseSerializer,
    ShiftOpenSerializer,
    ShiftReportSerializer,
    ShiftSerializer,
    WebhookAckSerializer,
)
from payments.filters import PaymentFilterSet
from payments.models import Payment, PaymentEvent, PaymentMethod, Shift
from payments.services import payment_check_status, payment_refund
from payments.shifts import (
    register_name,
    shift_cash_move,
    shift_close,
    shift_current,
    shift_open,
    shift_summary,
)
from payments.webhook_guard import WebhookRejections, webhook_body
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

    # Each action's input, so the browsable API's form is that action's body (no body: a button).
    action_inputs = {"check_status": serializers.Serializer, "refund": PaymentRefundSerializer}

    def get_serializer_class(self):
        if self.action == "retrieve":
            return PaymentDetailSerializer
        return self.action_inputs.get(self.action, PaymentSerializer)

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
            register=serializer.validated_data["register"],
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


# What a webhook's exception says about the notification, for the outcome metric.
_WEBHOOK_OUTCOMES = (
    (NotFound, "unknown_payment"),
    ((PermissionDenied, AuthenticationFailed), "rejected"),
    ((ParseError, ValidationError), "invalid"),
)


def _observed_webhook(gateway: str, handle: Callable[[], Payment]) -> Payment:
    """`handle()`, counted in `pos_payment_webhooks_total` by how it ended."""
    try:
        payment = handle()
    except Exception as error:
        outcome = next(
            (name for kind, name in _WEBHOOK_OUTCOMES if isinstance(error, kind)), "error"
        )
        payment_webhook_observe(gateway=gateway, outcome=outcome)
        raise
    payment_webhook_observe(gateway=gateway, outcome="applied")
    return payment


class GatewayWebhookView(APIView):
    """Base of the gateway webhooks: no login, bounded bodies, rejected calls throttled per
    address (see payments/webhook_guard.py); verified ones are never turned away."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []  # the gateway retries on its own schedule; never turn it away

    gateway = ""  # the gateway's name, for the outcome metric

    def handle_webhook(self, request, handle: Callable[[dict], Payment]) -> Response:
        rejections = WebhookRejections(request)
        rejections.check()
        payment = _observed_webhook(self.gateway, lambda: self._handle(request, handle, rejections))
        return Response({"status": "ok", "payment_status": payment.status})

    @staticmethod
    def _handle(request, handle, rejections: WebhookRejections) -> Payment:
        body = webhook_body(request)
        try:
            return handle(body)
        except WebhookRejections.rejected_errors:
            rejections.record()
            raise


class MidtransNotificationView(GatewayWebhookView):
    """Midtrans HTTP notification (set this URL in the Midtrans dashboard).

    Logged first; the `signature_key` is checked with the merchant's server key (403 if wrong);
    then the status is fetched from Midtrans and applied. Unknown order_id → 404.
    """

    gateway = "midtrans"

    @extend_schema(
        request={"application/json": {"type": "object", "additionalProperties": True}},
        responses={200: WebhookAckSerializer},
        auth=[],
    )
    def post(self, request):
        return self.handle_webhook(
            request, lambda body: payment_handle_midtrans_notification(body=body)
        )


class XenditCallbackView(GatewayWebhookView):
    """Xendit QR payment callback; `x-callback-token` must match XENDIT_CALLBACK_TOKEN."""

    gateway = "xendit"

    @extend_schema(
        request={"application/json": {"type": "object", "additionalProperties": True}},
        parameters=[
            OpenApiParameter("x-callback-token", str, OpenApiParameter.HEADER, required=True)
        ],
        responses={200: WebhookAckSerializer},
        auth=[],
    )
    def post(self, request):
        token = request.headers.get("x-callback-token")
        return self.handle_webhook(
            request, lambda body: payment_handle_xendit_callback(body=body, callback_token=token)
        )


class ShiftViewSet(MerchantScopedReadOnlyViewSet):
    """Cash drawer shifts, one open per register (officers open, move cash and close; a closed
    shift is read-only). `GET /shifts/{id}` answers the shift report with its arithmetic."""

    queryset = Shift.objects.select_related("opened_by", "closed_by")
    serializer_class = ShiftSerializer
    filterset_fields = ["register"]
    ordering_fields = ["opened_at", "closed_at"]
    ordering = ["-opened_at", "-pk"]
    write_role = Role.OFFICER

    def _report(self, summary, code=200) -> Response:
        return Response(ShiftReportSerializer(summary).data, status=code)

    @extend_schema(responses={200: ShiftReportSerializer})
    def retrieve(self, request, *args, **kwargs):
        return self._report(shift_summary(shift=self.get_object()))

    @extend_schema(request=ShiftOpenSerializer, responses={201: ShiftSerializer})
    @action(detail=False, methods=["post"], url_path="open")
    def open(self, request):
        """Open a shift on a register (default "main") with the cash counted into the drawer.
        409 when a shift is already open on that register."""
        body = ShiftOpenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        shift = shift_open(
            merchant=self.merchant,
            actor=Actor.staff(request.user),
            opening_cash=body.validated_data["opening_cash"],
            register=body.validated_data["register"],
        )
        return Response(ShiftSerializer(shift).data, status=201)

    @extend_schema(
        parameters=[OpenApiParameter("register", str, description='Default "main".')],
        responses={200: ShiftReportSerializer},
    )
    @action(detail=False, methods=["get"])
    def current(self, request):
        """The open shift of a register with its running arithmetic; 404 when none is open."""
        register = request.query_params.get("register")
        shift = shift_current(merchant=self.merchant, register=register)
        if shift is None:
            raise NotFound(
                gettext(
                    "No shift is open on register %(register)r; open one with "
                    "POST /api/v1/shifts/open."
                )
                % {"register": register_name(register)}
            )
        return self._report(shift_summary(shift=shift))

    @extend_schema(request=CashMovementCreateSerializer, responses={201: CashMovementSerializer})
    @action(detail=True, methods=["post"], url_path="cash-movements")
    def cash_movements(self, request, pk=None):
        """Cash put into (`in`) or taken out of (`out`) the drawer, with a reason. 409 on a
        closed shift."""
        shift = self.get_object()
        body = CashMovementCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        movement = shift_cash_move(
            shift=shift, actor=Actor.staff(request.user), **body.validated_data
        )
        return Response(CashMovementSerializer(movement).data, status=201)

    @extend_schema(request=ShiftCloseSerializer, responses={200: ShiftReportSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the shift with the cash counted: answers expected_cash, counted_cash,
        difference (counted − expected), takings_by_method, orders and refunds. 409 when it
        is closed already."""
        shift = self.get_object()
        body = ShiftCloseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        summary = shift_close(shift=shift, actor=Actor.staff(request.user), **body.validated_data)
        return self._report(summary)
