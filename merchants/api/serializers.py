from django.contrib.auth import authenticate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from rest_framework import serializers

from merchants.api.base import MerchantScopedModelSerializer, ModelSerializer
from merchants.models import (
    ExportJob,
    Membership,
    Merchant,
    StaffInvitation,
    StaffToken,
    TableLocation,
)
from merchants.money import CURRENCY_CHOICES, SUPPORTED_CURRENCIES

# Gateway secrets: write-only in the API, encrypted at rest, blank on update keeps the stored one.
SECRET_FIELDS = ("midtrans_server_key", "xendit_secret_key")


def _secret_field() -> serializers.CharField:
    return serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        trim_whitespace=True,
        help_text=gettext("Write-only. Leave out (or blank) to keep the stored key."),
    )


class CurrencyField(serializers.ChoiceField):
    """An ISO 4217 code the product supports, in any case ("idr" is IDR)."""

    default_error_messages = {
        "invalid_choice": gettext_lazy(
            "{input} is not a currency this product supports. Use one of: {codes}."
        )
    }

    def __init__(self, **kwargs):
        super().__init__(CURRENCY_CHOICES, **kwargs)

    def fail(self, key, **kwargs):
        if key == "invalid_choice":
            kwargs.setdefault("codes", ", ".join(SUPPORTED_CURRENCIES))
        super().fail(key, **kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value(str(data).strip().upper())


class MerchantSerializer(ModelSerializer):
    currency = CurrencyField(
        required=False, help_text=gettext_lazy("ISO 4217 code of the shop's prices.")
    )
    midtrans_server_key = _secret_field()
    has_midtrans_server_key = serializers.BooleanField(read_only=True)
    xendit_secret_key = _secret_field()
    has_xendit_secret_key = serializers.BooleanField(read_only=True)
    role = serializers.SerializerMethodField(
        help_text=gettext_lazy("Your role here: owner, officer, operator.")
    )
    logo = serializers.ImageField(
        read_only=True,
        help_text=gettext_lazy("The receipt's logo (set in the admin, where it is checked)."),
    )

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
            "address",
            "phone",
            "tax_id",
            "receipt_footer",
            "logo",
            "require_open_shift",
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
            raise serializers.ValidationError(
                gettext("Table %(value)s already exists.") % {"value": value}
            )
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
                gettext("Wrong username or password."), code="invalid_credentials"
            )
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class StaffApiTokenSerializer(ModelSerializer):
    expires_at = serializers.DateTimeField(
        read_only=True,
        help_text=gettext_lazy("Moves on with each use (it lapses after a time unused)."),
    )
    current = serializers.SerializerMethodField(
        help_text=gettext_lazy("The token this request was made with.")
    )

    class Meta:
        model = StaffToken
        fields = ["id", "prefix", "created_at", "last_used_at", "expires_at", "current"]
        read_only_fields = fields

    def get_current(self, token) -> bool:
        request = self.context.get("request")
        return request is not None and getattr(request.auth, "pk", None) == token.pk


class StaffMembershipSerializer(serializers.Serializer):
    merchant_id = serializers.IntegerField()
    merchant_slug = serializers.CharField()
    merchant_name = serializers.CharField()
    role = serializers.CharField(help_text=gettext_lazy("owner or officer"))


class StaffMeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    is_operator = serializers.BooleanField(
        help_text=gettext_lazy("The platform operator sees every merchant.")
    )
    memberships = StaffMembershipSerializer(many=True)


ROLE_NAMES = {"owner": Membership.Role.OWNER, "officer": Membership.Role.OFFICER}


class StaffInvitationSerializer(ModelSerializer):
    role = serializers.ChoiceField(
        choices=list(ROLE_NAMES), help_text=gettext_lazy("owner or officer")
    )
    status = serializers.SerializerMethodField(
        help_text=gettext_lazy("pending, accepted or expired")
    )
    invited_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("Who sent it."),
    )
    accepted_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("Who accepted it."),
    )

    class Meta:
        model = StaffInvitation
        fields = [
            "id",
            "email",
            "role",
            "status",
            "invited_by",
            "created_at",
            "expires_at",
            "email_sent_at",
            "accepted_at",
            "accepted_by",
        ]
        read_only_fields = ["created_at", "expires_at", "email_sent_at", "accepted_at"]

    def get_status(self, invitation) -> str:
        return invitation.status_at(timezone.now())

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["role"] = Membership.Role(instance.role).label.lower()
        return data


class StaffInvitationAcceptSerializer(serializers.Serializer):
    token = serializers.CharField(
        max_length=128, help_text=gettext_lazy("The token of the emailed link.")
    )


class StaffInvitationAcceptedSerializer(StaffMembershipSerializer):
    pass


class ExportJobSerializer(ModelSerializer):
    """A background CSV export: poll its `url` until `status` is `done`, then get `download_url`."""

    url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()
    percent = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = ExportJob
        fields = (
            "id",
            "url",
            "kind",
            "filters",
            "status",
            "progress",
            "row_count",
            "percent",
            "filename",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "download_url",
        )
        read_only_fields = fields

    def _absolute(self, name: str, pk: int) -> str:
        request = self.context.get("request")
        path = reverse(name, args=[pk])
        return request.build_absolute_uri(path) if request is not None else path

    def get_url(self, job: ExportJob) -> str:
        return self._absolute("api:export-job-detail", job.pk)

    def get_download_url(self, job: ExportJob) -> str | None:
        if job.status != ExportJob.Status.DONE:
            return None
        return self._absolute("api:export-job-download", job.pk)


class ExportJobCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=(),
        help_text=gettext_lazy("What to export, e.g. orders.order or photobox.photosession."),
    )
    filters = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        default=dict,
        help_text=gettext_lazy(
            'The admin list\'s filters as in its address, e.g. {"status__exact": "paid"}.'
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from merchants.export_jobs import exportables

        self.fields["kind"].choices = sorted(exportables())

    def validate_filters(self, value: dict) -> dict:
        for key, item in value.items():
            items = item if isinstance(item, list) else [item]
            if not all(isinstance(i, str | int | float | bool) for i in items):
                raise serializers.ValidationError(
                    gettext("%(key)s: give a text or a list of texts.") % {"key": key}
                )
        return {k: [str(i) for i in v] if isinstance(v, list) else str(v) for k, v in value.items()}
