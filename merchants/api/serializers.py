from django.contrib.auth import authenticate
from rest_framework import serializers

from merchants.api.base import MerchantScopedModelSerializer
from merchants.models import Membership, Merchant, TableLocation
from merchants.money import CURRENCY_CHOICES, SUPPORTED_CURRENCIES

# Gateway secrets: write-only in the API, encrypted at rest, blank on update keeps the stored one.
SECRET_FIELDS = ("midtrans_server_key", "xendit_secret_key")


def _secret_field() -> serializers.CharField:
    return serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        trim_whitespace=True,
        help_text="Write-only. Leave out (or blank) to keep the stored key.",
    )


class CurrencyField(serializers.ChoiceField):
    """An ISO 4217 code the product supports, in any case ("idr" is IDR)."""

    default_error_messages = {
        "invalid_choice": "{input} is not a currency this product supports. Use one of: "
        + ", ".join(SUPPORTED_CURRENCIES)
        + "."
    }

    def __init__(self, **kwargs):
        super().__init__(CURRENCY_CHOICES, **kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value(str(data).strip().upper())


class MerchantSerializer(serializers.ModelSerializer):
    currency = CurrencyField(required=False, help_text="ISO 4217 code of the shop's prices.")
    midtrans_server_key = _secret_field()
    has_midtrans_server_key = serializers.BooleanField(read_only=True)
    xendit_secret_key = _secret_field()
    has_xendit_secret_key = serializers.BooleanField(read_only=True)
    role = serializers.SerializerMethodField(help_text="Your role here: owner, officer, operator.")

    class Meta:
        model = Merchant
        fields = [
            "id",
            "name",
            "slug",
            "business_type",
            "pos_mode",
            "currency",
            "time_zone",
            "is_active",
            "midtrans_client_key",
            "midtrans_is_production",
            "midtrans_server_key",
            "has_midtrans_server_key",
            "qris_gateway",
            "xendit_secret_key",
            "has_xendit_secret_key",
            "prices_include_tax",
            "default_tax_percent",
            "default_service_charge_percent",
            "officer_max_discount_percent",
            "complete_when_paid",
            "role",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_role(self, merchant) -> str | None:
        request = self.context.get("request")
        if request is None:
            return None
        if request.user.is_superuser:
            return "operator"
        role = self.context.get("roles", {}).get(merchant.pk)
        return Membership.Role(role).label.lower() if role else None

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and not request.user.is_superuser:
            # Owners run their shop; only the operator renames the tenant or switches it off.
            for name in ("slug", "is_active"):
                fields[name].read_only = True
        return fields

    def update(self, instance, validated_data):
        # Blank means "keep": a form round-trip must never wipe a stored secret.
        for name in SECRET_FIELDS:
            if not validated_data.get(name):
                validated_data.pop(name, None)
        return super().update(instance, validated_data)


class TableLocationSerializer(MerchantScopedModelSerializer):
    class Meta:
        model = TableLocation
        fields = ["id", "number", "name", "capacity", "zone", "is_active", "created_at"]
        read_only_fields = ["created_at"]

    def validate_number(self, value: str) -> str:
        value = value.strip()
        merchant = self.context["merchant"]
        clash = TableLocation.objects.filter(merchant=merchant, number__iexact=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(f"Table {value} already exists.")
        return value


class StaffLoginSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)

    def validate(self, attrs):
        user = authenticate(
            self.context.get("request"), username=attrs["username"], password=attrs["password"]
        )
        if user is None:
            raise serializers.ValidationError(
                "Wrong username or password.", code="invalid_credentials"
            )
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)
