import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from merchants import money
from merchants.crypto import EncryptedTextField


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class TenantModel(TimeStampedModel):
    """A row owned by one merchant. `merchant_lookup` tells the scoping bases how to reach it."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+")

    merchant_lookup = "merchant"

    class Meta:
        abstract = True


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"'{value}' is not a known time zone (for example Asia/Jakarta).")


PERCENT_VALIDATORS = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


def percent_field(**kwargs) -> models.DecimalField:
    """A percentage, 0 to 100 with two decimals (tax, service charge, a discount limit)."""
    return models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal(0), validators=PERCENT_VALIDATORS, **kwargs
    )


class Merchant(TimeStampedModel):
    class QrisGateway(models.TextChoices):
        MIDTRANS = "midtrans", "Midtrans (Core API QRIS)"
        XENDIT = "xendit", "Xendit (dynamic QR)"

    class BusinessType(models.TextChoices):
        FNB = "fnb", "Food and beverage"
        RETAIL = "retail", "Retail"
        SERVICE = "service", "Service"
        PHOTOBOX = "photobox", "Photobox"
        OTHER = "other", "Other"

    class PosMode(models.TextChoices):
        CENTRALIZED = "centralized", "Centralized (one cashier)"
        DISTRIBUTED = "distributed", "Distributed (orders from tables and phones)"
        HYBRID = "hybrid", "Hybrid"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    business_type = models.CharField(
        max_length=20, choices=BusinessType.choices, default=BusinessType.FNB
    )
    pos_mode = models.CharField(max_length=20, choices=PosMode.choices, default=PosMode.CENTRALIZED)
    currency = models.CharField(
        max_length=3,
        choices=money.CURRENCY_CHOICES,
        default=money.DEFAULT_CURRENCY,
        help_text="The ISO 4217 code of every price and total of this shop.",
    )
    time_zone = models.CharField(
        max_length=64, default="Asia/Jakarta", validators=[validate_time_zone]
    )
    is_active = models.BooleanField(default=True)
    midtrans_server_key = EncryptedTextField(
        blank=True, help_text="Stored encrypted; never shown again once saved."
    )
    midtrans_client_key = models.CharField(max_length=120, blank=True)
    midtrans_is_production = models.BooleanField(
        default=False, help_text="Off: Midtrans sandbox. On: real money."
    )
    qris_gateway = models.CharField(
        max_length=20,
        choices=QrisGateway.choices,
        default=QrisGateway.MIDTRANS,
        help_text="Which gateway issues the QRIS codes of this merchant's kiosks and counters.",
    )
    xendit_secret_key = EncryptedTextField(
        blank=True,
        help_text="Xendit secret API key. Stored encrypted; never shown again once saved.",
    )

    # How the shop sells (see docs/orders.md): prices, discounts, the end of a paid order.
    prices_include_tax = models.BooleanField(
        default=False,
        help_text="On: menu prices already include tax (27500 incl. 10% is 25000 + 2500 tax). "
        "Off: tax is added on top of the prices.",
    )
    default_tax_percent = percent_field(help_text="Tax percent new products start with.")
    default_service_charge_percent = percent_field(
        help_text="Service charge percent new products start with."
    )
    officer_max_discount_percent = percent_field(
        help_text="The largest discount (percent of the bill) an officer may give; owners any."
    )
    complete_when_paid = models.BooleanField(
        default=False,
        help_text="On: an order is completed as soon as it is paid (counter service). "
        "Off: staff complete it when it is served.",
    )

    merchant_lookup = "pk"

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    default_tax_percent__gte=0,
                    default_tax_percent__lte=100,
                    default_service_charge_percent__gte=0,
                    default_service_charge_percent__lte=100,
                    officer_max_discount_percent__gte=0,
                    officer_max_discount_percent__lte=100,
                ),
                name="merchant_percents_in_range",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def currency_decimals(self) -> int:
        """Digits after the point in this shop's prices and totals."""
        return money.currency_exponent(self.currency)

    @property
    def has_midtrans_server_key(self) -> bool:
        return bool(self.midtrans_server_key)

    @property
    def has_xendit_secret_key(self) -> bool:
        return bool(self.xendit_secret_key)


class Membership(TimeStampedModel):
    class Role(models.IntegerChoices):
        OWNER = 100, "Owner"
        OFFICER = 10, "Officer"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="memberships")
    role = models.PositiveSmallIntegerField(choices=Role.choices, default=Role.OFFICER)

    merchant_lookup = "merchant"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "merchant"], name="membership_unique_user")
        ]
        ordering = ["merchant__name", "-role", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} · {self.merchant} ({self.get_role_display()})"


class TableLocation(TenantModel):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="tables")
    number = models.CharField(max_length=20, help_text="What is written on the table, e.g. A1.")
    name = models.CharField(max_length=80, blank=True)
    capacity = models.PositiveSmallIntegerField(default=4, validators=[MinValueValidator(1)])
    zone = models.CharField(max_length=40, blank=True, help_text="Indoor, terrace, first floor…")
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "number"], name="table_unique_number")
        ]
        ordering = ["merchant", "number"]

    def __str__(self) -> str:
        return f"Table {self.number}" + (f" ({self.name})" if self.name else "")


class StaffToken(TimeStampedModel):
    """An API token for a staff user. Only the SHA-256 of the key is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text="First characters, to recognise a token.")
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} · {self.prefix}…"
