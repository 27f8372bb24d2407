from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from merchants.api.base import (
    MAX_ID,
    MerchantScopedModelSerializer,
    ModelRulesMixin,
    ModelSerializer,
    money_field,
)
from photobox.models import KioskLocation, KioskPrice, Photo, PhotoSession, effective_status
from photobox.selectors import photo_urls

Status = PhotoSession.Status


# --- staff ------------------------------------------------------------------------------------


class KioskLocationSerializer(ModelRulesMixin, MerchantScopedModelSerializer):
    class Meta:
        model = KioskLocation
        fields = [
            "id",
            "machine_code",
            "name",
            "address",
            "is_active",
            "key_prefix",
            "key_rotated_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["key_prefix", "key_rotated_at", "created_at", "updated_at"]


class KioskLocationWithKeySerializer(KioskLocationSerializer):
    kiosk_key = serializers.CharField(
        read_only=True,
        help_text=gettext_lazy(
            "The kiosk's key, shown this once: put it into the kiosk now. Only its hash "
            "is stored; rotate it if it is lost."
        ),
    )

    class Meta(KioskLocationSerializer.Meta):
        fields = [*KioskLocationSerializer.Meta.fields, "kiosk_key"]
        read_only_fields = fields


class KioskPriceSerializer(ModelRulesMixin, MerchantScopedModelSerializer):
    amount = money_field(min_value=1)
    quota = serializers.IntegerField(
        min_value=0,
        max_value=2**31 - 1,
        allow_null=True,
        required=False,
        help_text=gettext_lazy("Sessions that can be sold; null: unlimited."),
    )
    quota_remaining = serializers.IntegerField(
        read_only=True, allow_null=True, help_text=gettext_lazy("Null when unlimited.")
    )
    location_name = serializers.CharField(
        source="location.name", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = KioskPrice
        fields = [
            "id",
            "location",
            "location_name",
            "amount",
            "description",
            "quota",
            "quota_used",
            "quota_remaining",
            "is_active",
            "sort_order",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["quota_used", "created_at", "updated_at"]
        extra_kwargs = {"location": {"help_text": "Null: offered at every kiosk."}}


class PhotoSerializer(ModelSerializer):
    url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Photo
        fields = ["order", "url", "download_url", "width", "height", "size"]
        read_only_fields = fields

    def _urls(self, photo) -> dict:
        cache = self.context.setdefault("_photo_urls", {})
        if photo.pk not in cache:
            urls = photo_urls(photo)
            request = self.context.get("request")
            if request is not None:
                # Local media answers with a path; clients outside the page need the host.
                urls = {k: request.build_absolute_uri(v) for k, v in urls.items()}
            cache[photo.pk] = urls
        return cache[photo.pk]

    def get_url(self, photo) -> str:
        return self._urls(photo)["url"]

    def get_download_url(self, photo) -> str:
        return self._urls(photo)["download_url"]


class PhotoSessionSerializer(ModelSerializer):
    location_name = serializers.CharField(source="location.name", read_only=True)
    machine_code = serializers.CharField(source="location.machine_code", read_only=True)
    price_description = serializers.CharField(source="price.description", read_only=True)
    amount = money_field(read_only=True)
    status = serializers.SerializerMethodField()
    payment_status = serializers.CharField(
        source="payment.status", read_only=True, default=None, allow_null=True
    )
    photo_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = PhotoSession
        fields = [
            "id",
            "external_id",
            "location",
            "location_name",
            "machine_code",
            "price",
            "price_description",
            "amount",
            "currency",
            "email",
            "send_invoice",
            "status",
            "payment",
            "payment_status",
            "gateway",
            "gateway_order_id",
            "gateway_transaction_id",
            "business_date",
            "expires_at",
            "paid_at",
            "photos_uploaded_at",
            "email_sent_at",
            "email_send_count",
            "photos_expire_at",
            "photos_cleaned_at",
            "photo_count",
            "payment_issue",
            "payment_issue_at",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=Status.choices))
    def get_status(self, session) -> str:
        return effective_status(session.status, session.expires_at, self.context["now"])


class PhotoSessionDetailSerializer(PhotoSessionSerializer):
    photos = PhotoSerializer(many=True, read_only=True)

    class Meta(PhotoSessionSerializer.Meta):
        fields = [*PhotoSessionSerializer.Meta.fields, "photos"]
        read_only_fields = fields


class ResendEmailSerializer(serializers.Serializer):
    email = serializers.EmailField(
        required=False,
        allow_blank=True,
        help_text=gettext_lazy(
            "Send to this address instead (it replaces the one the customer typed)."
        ),
    )


class EmailQueuedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    email = serializers.EmailField()


# --- kiosk ------------------------------------------------------------------------------------


class KioskPriceOfferSerializer(ModelSerializer):
    amount = money_field(read_only=True)
    quota_remaining = serializers.IntegerField(read_only=True, allow_null=True)
    sold_out = serializers.SerializerMethodField()

    class Meta:
        model = KioskPrice
        fields = ["id", "description", "amount", "quota_remaining", "sold_out"]
        read_only_fields = fields

    def get_sold_out(self, price) -> bool:
        return price.quota_remaining == 0


class KioskSessionCreateSerializer(serializers.Serializer):
    price_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    email = serializers.EmailField(help_text=gettext_lazy("The gallery link is emailed here."))
    send_invoice = serializers.BooleanField(default=False)


class KioskSessionCreatedSerializer(ModelSerializer):
    amount = money_field(read_only=True)

    class Meta:
        model = PhotoSession
        fields = ["external_id", "status", "amount", "currency", "qr_string", "expires_at"]
        read_only_fields = fields


class KioskSessionStatusSerializer(serializers.Serializer):
    """The poll: small on purpose, it is read every few seconds by every kiosk."""

    external_id = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    paid_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField()
    expires_in = serializers.IntegerField(
        help_text=gettext_lazy("Seconds the QR can still be paid; 0 after.")
    )


_MOMENT = serializers.DateTimeField()


def kiosk_status_body(row: dict) -> dict:
    """Exactly `KioskSessionStatusSerializer(row).data`, without building a serializer on every
    poll (a serializer deep-copies its fields per instance: a sixth of the poll's time)."""
    paid_at = row["paid_at"]
    return {
        "external_id": row["external_id"],
        "status": row["status"],
        "paid_at": _MOMENT.to_representation(paid_at) if paid_at is not None else None,
        "expires_at": _MOMENT.to_representation(row["expires_at"]),
        "expires_in": row["expires_in"],
    }


class KioskUploadSerializer(serializers.Serializer):
    files = serializers.ListField(
        child=serializers.FileField(),
        help_text=gettext_lazy(
            "JPEG or PNG photos (checked by content), at most 10 MB each and 50 per session."
        ),
    )


class KioskUploadedSerializer(serializers.Serializer):
    external_id = serializers.CharField()
    photo_count = serializers.IntegerField(help_text=gettext_lazy("Photos of the session in all."))
    photos = PhotoSerializer(many=True)
    gallery_url = serializers.URLField(
        help_text=gettext_lazy("The private link being emailed (for a QR).")
    )


class EncryptedSerializer(serializers.Serializer):
    """The body when ENCRYPTION_ENABLED is on (docs/photobox.md, "Response encryption")."""

    iv = serializers.CharField(
        required=False, help_text=gettext_lazy("Base64 IV; absent with ENCRYPTION_IV.")
    )
    data = serializers.CharField(
        help_text=gettext_lazy("Base64 AES-256-CBC ciphertext of the JSON body.")
    )


# --- gallery and maintenance ------------------------------------------------------------------


class GallerySerializer(serializers.Serializer):
    external_id = serializers.CharField()
    merchant_name = serializers.CharField(source="merchant.name")
    count = serializers.SerializerMethodField()
    email_sent_at = serializers.DateTimeField(allow_null=True)
    photos_expire_at = serializers.DateTimeField(allow_null=True)
    photos = PhotoSerializer(many=True, source="photos.all")

    def get_count(self, session) -> int:
        return len(session.photos.all())


class CleanupSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    deleted = serializers.ListField(
        child=serializers.CharField(), help_text=gettext_lazy("Sessions whose photos are gone.")
    )
    failed = serializers.ListField(
        child=serializers.CharField(),
        help_text=gettext_lazy("Sessions to try again (left as they were)."),
    )
    files_deleted = serializers.IntegerField()
