"""Kiosk locations, their price packages and the photo sessions they sell.

A kiosk authenticates with its location's key (only the SHA-256 is stored). A session is one
QRIS sale: it reserves a unit of its package's quota, waits for the payment, then takes photos
that are emailed to the customer as a private gallery link.
"""

import secrets
from decimal import Decimal

from django.core.exceptions import FieldError, ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext, gettext_lazy, ngettext

from merchants.models import Merchant, TenantModel, TimeStampedModel
from merchants.money import DEFAULT_CURRENCY, fits_currency, format_amount, precision_rule

MACHINE_CODE_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_-]*$",
    "Use letters, digits, '-' and '_' (for example PB-001).",
)


class GuardedFieldError(FieldError):
    """A plain `save()` was asked to write a field that only a service may change."""


class GuardedSaveMixin:
    """A plain `save()` of an existing row writes only `saved_by_plain_save` (+ `updated_at`).

    Quota counters, keys, statuses and money move only through services (conditional UPDATEs
    or explicit `update_fields`); an admin form or serializer holding a copy read a moment
    earlier must never write an older value of them back. So the values of the other fields
    are remembered as read (or last saved); a plain `save()` leaves them as the database has
    them, and raises `GuardedFieldError` naming the field when one of them was changed on the
    copy, instead of dropping that change without a word.
    """

    saved_by_plain_save: tuple[str, ...] = ()

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._remember_guarded()
        return instance

    def refresh_from_db(self, using=None, fields=None, **kwargs):
        super().refresh_from_db(using=using, fields=fields, **kwargs)
        self._remember_guarded(fields)  # only what was read again

    def save(self, *args, **kwargs):
        plain = (
            not self._state.adding
            and kwargs.get("update_fields") is None
            and not kwargs.get("force_insert")
        )
        if plain:
            changed = self._guarded_changes()
            if changed:
                raise GuardedFieldError(
                    f"{type(self).__name__}.save() does not write {', '.join(changed)}: "
                    "services change it (conditional updates or save(update_fields=...)), so "
                    "that a copy read earlier never writes an older value back."
                )
            kwargs["update_fields"] = [*self.saved_by_plain_save, "updated_at"]
        super().save(*args, **kwargs)
        self._remember_guarded(kwargs.get("update_fields"))

    def _guarded_attnames(self) -> list[tuple[str, str]]:
        """(name, attname) of the concrete fields a plain save leaves alone."""
        allowed = {*self.saved_by_plain_save, "updated_at"}
        return [
            (f.name, f.attname)
            for f in self._meta.concrete_fields
            if not f.primary_key and f.name not in allowed
        ]

    def _remember_guarded(self, only=None) -> None:
        loaded = self.__dict__
        remembered = dict(getattr(self, "_guarded_values", {}))
        for name, attname in self._guarded_attnames():
            if attname in loaded and (only is None or name in only or attname in only):
                remembered[attname] = loaded[attname]
        self._guarded_values = remembered

    def _guarded_changes(self) -> list[str]:
        remembered = getattr(self, "_guarded_values", {})
        current = self.__dict__
        return [
            name
            for name, attname in self._guarded_attnames()
            if attname in current
            # Set on this copy though never read: as much a change as a new value.
            and (attname not in remembered or current[attname] != remembered[attname])
        ]


def new_gallery_token() -> str:
    # 256 random bits: the link itself is the only credential of a gallery.
    return secrets.token_urlsafe(32)


class KioskLocation(GuardedSaveMixin, TenantModel):
    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.CASCADE,
        related_name="kiosk_locations",
        verbose_name=gettext_lazy("merchant"),
    )
    machine_code = models.CharField(
        max_length=40,
        unique=True,
        validators=[MACHINE_CODE_VALIDATOR],
        help_text=gettext_lazy(
            "The code printed on the machine, e.g. PB-001 (unique on the platform)."
        ),
        verbose_name=gettext_lazy("machine code"),
    )
    name = models.CharField(max_length=120, verbose_name=gettext_lazy("name"))
    address = models.TextField(blank=True, verbose_name=gettext_lazy("address"))
    is_active = models.BooleanField(
        default=True,
        help_text=gettext_lazy("Off: the kiosk's key stops working at once."),
        verbose_name=gettext_lazy("is active"),
    )
    key_hash = models.CharField(
        max_length=64, unique=True, editable=False, verbose_name=gettext_lazy("key hash")
    )
    key_prefix = models.CharField(
        max_length=12,
        editable=False,
        help_text=gettext_lazy("First characters of the key, to recognise it."),
        verbose_name=gettext_lazy("key prefix"),
    )
    key_rotated_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=gettext_lazy("key rotated at")
    )

    saved_by_plain_save = ("machine_code", "name", "address", "is_active")  # keys: rotate

    class Meta:
        verbose_name = gettext_lazy("kiosk location")
        verbose_name_plural = gettext_lazy("kiosk locations")
        ordering = ["merchant", "machine_code"]

    def __str__(self) -> str:
        return f"{self.machine_code} · {self.name}"


class KioskPrice(GuardedSaveMixin, TenantModel):
    """A package a kiosk sells, e.g. "4 photos, 2 prints" for 40000, optionally limited."""

    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.CASCADE,
        related_name="kiosk_prices",
        verbose_name=gettext_lazy("merchant"),
    )
    location = models.ForeignKey(
        KioskLocation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="prices",
        help_text=gettext_lazy("Blank: offered at every kiosk of the merchant."),
        verbose_name=gettext_lazy("location"),
    )
    amount = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(1))],
        verbose_name=gettext_lazy("amount"),
    )
    description = models.CharField(max_length=120, verbose_name=gettext_lazy("description"))
    quota = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=gettext_lazy("Sessions that can be sold; blank: unlimited."),
        verbose_name=gettext_lazy("quota"),
    )
    quota_used = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text=gettext_lazy("Sessions paid or waiting for payment."),
        verbose_name=gettext_lazy("quota used"),
    )
    is_active = models.BooleanField(default=True, verbose_name=gettext_lazy("is active"))
    sort_order = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("sort order"))

    # Never quota_used: kiosks reserve and release it meanwhile.
    saved_by_plain_save = ("location", "amount", "description", "quota", "is_active", "sort_order")

    class Meta:
        verbose_name = gettext_lazy("kiosk price")
        verbose_name_plural = gettext_lazy("kiosk prices")
        ordering = ["merchant", "sort_order", "amount"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="kiosk_price_amount_positive"),
            # The conditional reservation never goes past the quota; this is the backstop.
            models.CheckConstraint(
                condition=Q(quota__isnull=True) | Q(quota_used__lte=F("quota")),
                name="kiosk_price_quota_not_exceeded",
            ),
        ]

    def __str__(self) -> str:
        currency = self.merchant.currency
        return f"{self.description} ({format_amount(self.amount, currency)} {currency})"

    @property
    def quota_remaining(self) -> int | None:
        return None if self.quota is None else max(self.quota - self.quota_used, 0)

    def clean(self):
        super().clean()
        errors = {}
        merchant = getattr(self, "merchant", None) if self.merchant_id else None
        if (
            merchant is not None
            and self.amount is not None
            and not fits_currency(self.amount, merchant.currency)
        ):
            errors["amount"] = precision_rule(merchant.currency, what="Prices")
        if self.quota is not None and self.quota < self.quota_used:
            errors["quota"] = ngettext(
                "%(count)d session is already sold or waiting for payment; the quota cannot be "
                "lower than that.",
                "%(count)d sessions are already sold or waiting for payment; the quota cannot be "
                "lower than that.",
                self.quota_used,
            ) % {"count": self.quota_used}
        if self.location_id and merchant is not None and self.location.merchant_id != merchant.pk:
            errors["location"] = gettext("This kiosk belongs to another merchant.")
        if errors:
            raise ValidationError(errors)


class PhotoSession(GuardedSaveMixin, TenantModel):
    """One kiosk sale: QRIS payment, then photos and the gallery email."""

    class Status(models.TextChoices):
        PENDING = "PENDING", gettext_lazy("Pending payment")
        COMPLETED = "COMPLETED", gettext_lazy("Paid")
        FAILED = "FAILED", gettext_lazy("Payment failed")
        EXPIRED = "EXPIRED", gettext_lazy("Expired unpaid")

    # One way only. Nothing ever leaves COMPLETED, FAILED or EXPIRED.
    ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
        Status.PENDING: frozenset({Status.COMPLETED, Status.FAILED, Status.EXPIRED}),
        Status.COMPLETED: frozenset(),
        Status.FAILED: frozenset(),
        Status.EXPIRED: frozenset(),
    }
    # Statuses that gave their quota unit back.
    RELEASING_STATUSES = frozenset({Status.FAILED, Status.EXPIRED})

    class PaymentIssue(models.TextChoices):
        NONE = "", gettext_lazy("None")
        PAID_LATE = "paid_late", gettext_lazy("Paid after the session ended: refund due")
        REVERSED = "reversed", gettext_lazy("Payment reversed after the session was paid")

    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.PROTECT,
        related_name="photo_sessions",
        verbose_name=gettext_lazy("merchant"),
    )
    location = models.ForeignKey(
        KioskLocation,
        on_delete=models.PROTECT,
        related_name="sessions",
        verbose_name=gettext_lazy("location"),
    )
    price = models.ForeignKey(
        KioskPrice,
        on_delete=models.PROTECT,
        related_name="sessions",
        verbose_name=gettext_lazy("price"),
    )
    external_id = models.CharField(
        max_length=64,
        unique=True,
        help_text=gettext_lazy("TRX-{location}-{YYYYmmddHHMMSS}-{8 hex}."),
        verbose_name=gettext_lazy("external ID"),
    )
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, verbose_name=gettext_lazy("amount")
    )
    currency = models.CharField(
        max_length=3, default=DEFAULT_CURRENCY, verbose_name=gettext_lazy("currency")
    )
    email = models.EmailField(
        help_text=gettext_lazy("Where the gallery link is sent."),
        verbose_name=gettext_lazy("email"),
    )
    send_invoice = models.BooleanField(default=False, verbose_name=gettext_lazy("send invoice"))
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.PENDING,
        verbose_name=gettext_lazy("status"),
    )
    business_date = models.DateField(
        db_index=True,
        help_text=gettext_lazy("The merchant's local date of the sale."),
        verbose_name=gettext_lazy("business date"),
    )
    payment = models.ForeignKey(
        "payments.Payment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("payment"),
    )
    gateway = models.CharField(max_length=20, blank=True, verbose_name=gettext_lazy("gateway"))
    gateway_order_id = models.CharField(
        max_length=50, blank=True, db_index=True, verbose_name=gettext_lazy("gateway order ID")
    )
    gateway_transaction_id = models.CharField(
        max_length=100,
        blank=True,
        db_index=True,
        verbose_name=gettext_lazy("gateway transaction ID"),
    )
    qr_string = models.TextField(blank=True, verbose_name=gettext_lazy("QR string"))
    expires_at = models.DateTimeField(
        help_text=gettext_lazy("The QRIS code can be paid until then."),
        verbose_name=gettext_lazy("expires at"),
    )
    paid_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("paid at"))
    photos_uploaded_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("photos uploaded at")
    )
    email_sent_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("email sent at")
    )
    email_send_count = models.PositiveIntegerField(
        default=0, verbose_name=gettext_lazy("email send count")
    )
    photos_expire_at = models.DateTimeField(
        null=True, blank=True, db_index=True, verbose_name=gettext_lazy("photos expire at")
    )
    photos_cleaned_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("photos cleaned at")
    )
    gallery_token = models.CharField(
        max_length=64,
        unique=True,
        default=new_gallery_token,
        editable=False,
        verbose_name=gettext_lazy("gallery token"),
    )
    payment_issue = models.CharField(
        max_length=20,
        choices=PaymentIssue.choices,
        blank=True,
        default=PaymentIssue.NONE,
        verbose_name=gettext_lazy("payment issue"),
    )
    payment_issue_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("payment issue at")
    )

    # Status, money and the photo dates move only through services.
    saved_by_plain_save = ("email", "send_invoice")

    class Meta:
        verbose_name = gettext_lazy("photo session")
        verbose_name_plural = gettext_lazy("photo sessions")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="photo_session_due"),
            models.Index(fields=["merchant", "business_date"], name="photo_session_day"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="photo_session_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.external_id

    def can_move_to(self, status: str) -> bool:
        return status in self.ALLOWED_TRANSITIONS.get(self.status, frozenset())

    def photos_gone(self, now) -> bool:
        """The gallery's photos were deleted, or are past their retention at `now`."""
        return self.photos_cleaned_at is not None or (
            self.photos_expire_at is not None and self.photos_expire_at <= now
        )


def effective_status(status: str, expires_at, now) -> str:
    """What a reader sees: a session past its expiry is EXPIRED even before the beat runs."""
    if status == PhotoSession.Status.PENDING and expires_at is not None and expires_at <= now:
        return PhotoSession.Status.EXPIRED
    return status


class Photo(TimeStampedModel):
    session = models.ForeignKey(
        PhotoSession,
        on_delete=models.CASCADE,
        related_name="photos",
        verbose_name=gettext_lazy("session"),
    )
    file = models.FileField(
        max_length=255,
        help_text=gettext_lazy("The storage name, under photobox/{id}/."),
        verbose_name=gettext_lazy("file"),
    )
    size = models.PositiveIntegerField(
        help_text=gettext_lazy("Bytes."), verbose_name=gettext_lazy("size")
    )
    width = models.PositiveIntegerField(verbose_name=gettext_lazy("width"))
    height = models.PositiveIntegerField(verbose_name=gettext_lazy("height"))
    order = models.PositiveSmallIntegerField(verbose_name=gettext_lazy("order"))

    merchant_lookup = "session__merchant"

    class Meta:
        verbose_name = gettext_lazy("photo")
        verbose_name_plural = gettext_lazy("photos")
        ordering = ["session", "order"]
        constraints = [
            models.UniqueConstraint(fields=["session", "order"], name="photo_unique_order")
        ]

    def __str__(self) -> str:
        return f"Photo {self.order} of {self.session}"
