from django.utils.translation import gettext, gettext_lazy
from rest_framework import serializers

from merchants.api.base import MerchantScopedModelSerializer, money_field
from payments.models import Payment, PaymentEvent, PaymentMethod


class PaymentEventSerializer(serializers.ModelSerializer):
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
