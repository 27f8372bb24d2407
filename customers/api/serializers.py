from django.conf import settings
from django.utils.translation import gettext, gettext_lazy
from rest_framework import serializers

from customers.models import Customer
from customers.services import normalize_email
from merchants.api.base import MerchantScopedModelSerializer, ModelSerializer
from merchants.models import Merchant

# --- staff -----------------------------------------------------------------------------------


class CustomerSerializer(MerchantScopedModelSerializer):
    class Meta:
        model = Customer
        fields = [
            "id",
            "email",
            "name",
            "phone",
            "is_active",
            "last_login_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["last_login_at", "created_at", "updated_at"]

    def validate_email(self, value: str) -> str:
        value = normalize_email(value)
        clash = Customer.objects.filter(merchant=self.context["merchant"], email__iexact=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(
                gettext("A customer with %(value)s already exists.") % {"value": value}
            )
        return value


# --- customer sign-in ------------------------------------------------------------------------


class MerchantSlugField(serializers.SlugRelatedField):
    default_error_messages = {
        "does_not_exist": gettext_lazy("No shop '{value}'. Check the merchant slug."),
        "invalid": gettext_lazy("Give the shop's slug, e.g. kopi-kita."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "slug")
        kwargs.setdefault("queryset", Merchant.objects.filter(is_active=True))
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text", "The shop's slug. Optional when the server sets DEFAULT_MERCHANT."
        )
        super().__init__(**kwargs)


class MerchantInBodySerializer(serializers.Serializer):
    """`merchant` (a slug) in the body, falling back to settings.DEFAULT_MERCHANT."""

    merchant = MerchantSlugField()
    merchant_optional = False

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs.get("merchant") is None and not self.merchant_optional:
            default = settings.DEFAULT_MERCHANT
            merchant = (
                Merchant.objects.filter(slug=default, is_active=True).first() if default else None
            )
            if merchant is None:
                raise serializers.ValidationError(
                    {"merchant": [gettext("Name the shop (its slug).")]}
                )
            attrs["merchant"] = merchant
        return attrs


class EmailRequestSerializer(MerchantInBodySerializer):
    email = serializers.EmailField(max_length=254)

    def validate_email(self, value: str) -> str:
        return normalize_email(value)


class VerifyLinkSerializer(MerchantInBodySerializer):
    token = serializers.CharField(
        max_length=200, help_text=gettext_lazy("The token from the emailed link.")
    )
    # The token already names its shop; a merchant given here must match it.
    merchant_optional = True


class VerifyOtpSerializer(EmailRequestSerializer):
    otp = serializers.RegexField(
        r"^\s*\d{4,10}\s*$",
        help_text=gettext_lazy("The code from the email."),
        error_messages={"invalid": "The code is digits only, as in the email."},
    )


class LoginRequestedSerializer(serializers.Serializer):
    detail = serializers.CharField()


class CustomerMeSerializer(ModelSerializer):
    merchant = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Customer
        fields = ["id", "email", "name", "phone", "merchant", "last_login_at", "created_at"]
        read_only_fields = ["id", "email", "merchant", "last_login_at", "created_at"]


class CustomerTokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text=gettext_lazy("Send as 'Authorization: Bearer <token>'.")
    )
    token_type = serializers.CharField(default="Bearer")
    expires_in = serializers.IntegerField(
        help_text=gettext_lazy("Seconds until the token expires.")
    )
    created = serializers.BooleanField(
        help_text=gettext_lazy("True when this sign-in created the customer.")
    )
    customer = CustomerMeSerializer()
