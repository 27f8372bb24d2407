from django.utils.translation import gettext, gettext_lazy
from rest_framework import serializers

from merchants.api.base import MerchantScopedModelSerializer, ModelSerializer, money_field
from payments.models import CashMovement, Payment, PaymentEvent, PaymentMethod, Shift


def register_field(**kwargs) -> serializers.CharField:
    """The till whose shift's drawer the cash goes into or comes out of."""
    kwargs.setdefault("help_text", 'The register (till) of the cash drawer shift; default "main".')
    return serializers.CharField(
        max_length=40, required=False, allow_blank=True, default="main", **kwargs
    )


class PaymentEventSerializer(ModelSerializer):
    class Meta:
        model = PaymentEvent
        fields = [
            "id",
            "kind",
            "old_status",
            "new_status",
            "signature_valid",
            "message",
            "raw",
            "created_at",
        ]
        read_only_fields = fields


class PaymentSerializer(MerchantScopedModelSerializer):
    amount = money_field(read_only=True)
    refunded_amount = money_field(read_only=True)
    refundable_amount = money_field(read_only=True)
    cash_tendered_amount = money_field(read_only=True, allow_null=True)
    change_amount = money_field(read_only=True, allow_null=True)
    # A plain string: empty for QRIS and cash payments, which have no redirect page.
    redirect_url = serializers.CharField(
        read_only=True, help_text=gettext_lazy("Snap payment page; empty for QRIS and cash.")
    )

    class Meta:
        model = Payment
        fields = [
            "id",
            "reference_kind",
            "reference_id",
            "gateway",
            "method",
            "amount",
            "currency",
            "status",
            "gateway_status",
            "gateway_order_id",
            "gateway_transaction_id",
            "snap_token",
            "redirect_url",
            "qr_string",
            "expires_at",
            "paid_at",
            "refunded_amount",
            "refundable_amount",
            "amount_mismatch",
            "cash_tendered_amount",
            "change_amount",
            "received_by",
            "payment_method",
            "tender_reference",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PaymentDetailSerializer(PaymentSerializer):
    events = PaymentEventSerializer(many=True, read_only=True)

    class Meta(PaymentSerializer.Meta):
        fields = [*PaymentSerializer.Meta.fields, "events"]
        read_only_fields = fields


class PaymentRefundSerializer(serializers.Serializer):
    amount = money_field(
        required=False,
        allow_null=True,
        min_value=0,
        help_text=gettext_lazy("Leave out to refund everything not refunded yet."),
    )
    reason = serializers.CharField(max_length=255)
    register = register_field()


class WebhookAckSerializer(serializers.Serializer):
    status = serializers.CharField(help_text=gettext_lazy('"ok" once the notification is applied.'))
    payment_status = serializers.CharField()


class PaymentMethodSerializer(MerchantScopedModelSerializer):
    class Meta:
        model = PaymentMethod
        fields = ["id", "kind", "name", "is_active", "sort_order", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def validate_name(self, value: str) -> str:
        value = value.strip()
        clash = PaymentMethod.objects.filter(merchant=self.context["merchant"], name__iexact=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(
                gettext("A payment method named %(value)s already exists.") % {"value": value}
            )
        return value


# --- cash drawer shifts ------------------------------------------------------------------------


class ShiftOpenSerializer(serializers.Serializer):
    register = register_field()
    opening_cash = money_field(
        min_value=0, help_text=gettext_lazy("The cash counted into the drawer.")
    )


class ShiftCloseSerializer(serializers.Serializer):
    counted_cash = money_field(
        min_value=0, help_text=gettext_lazy("The cash counted in the drawer now.")
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class CashMovementCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[("in", gettext_lazy("Cash in")), ("out", gettext_lazy("Cash out"))]
    )
    amount = money_field(min_value=0)
    reason = serializers.CharField(max_length=255)


class CashMovementSerializer(ModelSerializer):
    """Cash in, out, or refunded (a refund is written by the refund and names its payment)."""

    amount = money_field(read_only=True)
    actor = serializers.CharField(source="actor.username", read_only=True, allow_null=True)
    payment_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = CashMovement
        fields = ["id", "kind", "amount", "reason", "actor", "payment_id", "created_at"]
        read_only_fields = fields


class ShiftSerializer(ModelSerializer):
    opening_cash = money_field(read_only=True)
    expected_cash = money_field(read_only=True, allow_null=True)
    counted_cash = money_field(read_only=True, allow_null=True)
    difference = money_field(read_only=True, allow_null=True)
    status = serializers.SerializerMethodField()
    opened_by = serializers.CharField(source="opened_by.username", read_only=True, allow_null=True)
    closed_by = serializers.CharField(source="closed_by.username", read_only=True, allow_null=True)

    class Meta:
        model = Shift
        fields = [
            "id",
            "register",
            "status",
            "currency",
            "opening_cash",
            "opened_at",
            "opened_by",
            "closed_at",
            "closed_by",
            "expected_cash",
            "counted_cash",
            "difference",
            "note",
        ]
        read_only_fields = fields

    def get_status(self, shift) -> str:
        return "open" if shift.is_open else "closed"


class ShiftTakingSerializer(serializers.Serializer):
    method = serializers.CharField()
    name = serializers.CharField()
    amount = money_field()
    count = serializers.IntegerField()


class ShiftRefundsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    amount = money_field()


class ShiftReportSerializer(serializers.Serializer):
    """A shift with its cash arithmetic: expected = opening + cash taken − change given − cash
    refunds + cash in − cash out; difference = counted − expected."""

    shift = ShiftSerializer()
    opening_cash = money_field(source="shift.opening_cash")
    cash_taken = money_field()
    change_given = money_field()
    cash_refunds = money_field()
    cash_in = money_field()
    cash_out = money_field()
    expected_cash = money_field()
    counted_cash = money_field(source="shift.counted_cash", allow_null=True)
    difference = money_field(source="shift.difference", allow_null=True)
    takings_by_method = ShiftTakingSerializer(many=True)
    orders = serializers.IntegerField(help_text=gettext_lazy("Sales (orders) paid in this shift."))
    refunds = ShiftRefundsSerializer()
    movements = CashMovementSerializer(many=True)
