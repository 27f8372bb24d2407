"""The tenant and the people who work for it: `Merchant` (its settings are its fields: business
type, currency, tax and service charge, receipts, gateway keys), `Membership`, `StaffProfile`,
`TableLocation`, staff tokens and invitations; and the `OutboxTask` and `ExportJob` rows every
app writes through merchants' helpers.

Longer than 500 lines on purpose: Django finds an app's models in `models.py`, and a third of it
is `Merchant`, whose settings stay fields of the one tenant row that every request reads; a
`models/` package would spread nine classes that import one another over files for no gain.
"""

import zoneinfo
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext, gettext_lazy

from merchants import money
from merchants.crypto import EncryptedTextField, unreadable_field_names


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(
        auto_now_add=True, db_index=True, verbose_name=gettext_lazy("created at")
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=gettext_lazy("updated at"))

    class Meta:
        abstract = True


class TenantModel(TimeStampedModel):
    """A row owned by one merchant. `merchant_lookup` tells the scoping bases how to reach it."""

    merchant = models.ForeignKey(
        "merchants.Merchant",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=gettext_lazy("merchant"),
    )

    merchant_lookup = "merchant"

    class Meta:
        abstract = True


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            gettext("'%(value)s' is not a known time zone (for example Asia/Jakarta).")
            % {"value": value}
        )


PERCENT_VALIDATORS = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


def validate_tax_id(value: str) -> None:
    """An NPWP: 15 digits (the old form, 01.234.567.8-901.000) or 16 (the NIK-based one)."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if value and (len(digits) not in (15, 16) or not set(value) <= set("0123456789.- ")):
        raise ValidationError(
            gettext(
                "An NPWP has 15 or 16 digits (dots, dashes and spaces allowed), "
                "e.g. 01.234.567.8-901.000."
            )
        )


def percent_field(**kwargs) -> models.DecimalField:
    """A percentage, 0 to 100 with two decimals (tax, service charge, a discount limit)."""
    return models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal(0), validators=PERCENT_VALIDATORS, **kwargs
    )


class Merchant(TimeStampedModel):
    class QrisGateway(models.TextChoices):
        MIDTRANS = "midtrans", gettext_lazy("Midtrans (Core API QRIS)")
        XENDIT = "xendit", gettext_lazy("Xendit (dynamic QR)")

    class BusinessType(models.TextChoices):
        FNB = "fnb", gettext_lazy("Food and beverage")
        RETAIL = "retail", gettext_lazy("Retail")
        SERVICE = "service", gettext_lazy("Service")
        PHOTOBOX = "photobox", gettext_lazy("Photobox")
        OTHER = "other", gettext_lazy("Other")

    class PosMode(models.TextChoices):
        CENTRALIZED = "centralized", gettext_lazy("Centralized (one cashier)")
        DISTRIBUTED = "distributed", gettext_lazy("Distributed (orders from tables and phones)")
        HYBRID = "hybrid", gettext_lazy("Hybrid")

    name = models.CharField(max_length=120, verbose_name=gettext_lazy("name"))
    slug = models.SlugField(max_length=60, unique=True, verbose_name=gettext_lazy("slug"))
    business_type = models.CharField(
        max_length=20,
        choices=BusinessType.choices,
        default=BusinessType.FNB,
        verbose_name=gettext_lazy("business type"),
    )
    pos_mode = models.CharField(
        max_length=20,
        choices=PosMode.choices,
        default=PosMode.CENTRALIZED,
        verbose_name=gettext_lazy("POS mode"),
    )
    currency = models.CharField(
        max_length=3,
        choices=money.CURRENCY_CHOICES,
        default=money.DEFAULT_CURRENCY,
        help_text=gettext_lazy("The ISO 4217 code of every price and total of this shop."),
        verbose_name=gettext_lazy("currency"),
    )
    time_zone = models.CharField(
        max_length=64,
        default="Asia/Jakarta",
        validators=[validate_time_zone],
        verbose_name=gettext_lazy("time zone"),
    )
    # Customers have no account to hold a language: emails to them and the photobox gallery
    # are written in the merchant's.
    language = models.CharField(
        max_length=8,
        choices=settings.LANGUAGES,
        default="id",
        help_text=gettext_lazy("The language of emails to customers and of the photo gallery."),
        verbose_name=gettext_lazy("language"),
    )
    is_active = models.BooleanField(default=True, verbose_name=gettext_lazy("is active"))
    midtrans_server_key = EncryptedTextField(
        blank=True,
        help_text=gettext_lazy("Stored encrypted; never shown again once saved."),
        verbose_name=gettext_lazy("midtrans server key"),
    )
    midtrans_client_key = models.CharField(
        max_length=120, blank=True, verbose_name=gettext_lazy("midtrans client key")
    )
    midtrans_is_production = models.BooleanField(
        default=False,
        help_text=gettext_lazy("Off: Midtrans sandbox. On: real money."),
        verbose_name=gettext_lazy("midtrans is production"),
    )
    qris_gateway = models.CharField(
        max_length=20,
        choices=QrisGateway.choices,
        default=QrisGateway.MIDTRANS,
        help_text=gettext_lazy(
            "Which gateway issues the QRIS codes of this merchant's kiosks and counters."
        ),
        verbose_name=gettext_lazy("QRIS gateway"),
    )
    xendit_secret_key = EncryptedTextField(
        blank=True,
        help_text=gettext_lazy(
            "Xendit secret API key. Stored encrypted; never shown again once saved."
        ),
        verbose_name=gettext_lazy("xendit secret key"),
    )

    # How the shop sells (see docs/orders.md): prices, discounts, the end of a paid order.
    prices_include_tax = models.BooleanField(
        default=False,
        help_text=gettext_lazy(
            "On: menu prices already include tax (27500 incl. 10% is 25000 + 2500 tax). "
            "Off: tax is added on top of the prices."
        ),
        verbose_name=gettext_lazy("prices include tax"),
    )
    default_tax_percent = percent_field(
        help_text=gettext_lazy("Tax percent new products start with."),
        verbose_name=gettext_lazy("default tax percent"),
    )
    default_service_charge_percent = percent_field(
        help_text=gettext_lazy("Service charge percent new products start with."),
        verbose_name=gettext_lazy("default service charge percent"),
    )
    officer_max_discount_percent = percent_field(
        help_text=gettext_lazy(
            "The largest discount (percent of the bill) an officer may give; owners any."
        ),
        verbose_name=gettext_lazy("officer max discount percent"),
    )
    complete_when_paid = models.BooleanField(
        default=False,
        help_text=gettext_lazy(
            "On: an order is completed as soon as it is paid (counter service). "
            "Off: staff complete it when it is served."
        ),
        verbose_name=gettext_lazy("complete when paid"),
    )
    require_open_shift = models.BooleanField(
        default=False,
        help_text=gettext_lazy(
            "On: cash is taken or refunded only while a shift is open on the register "
            "(409 otherwise). Off: cash outside a shift is recorded without one."
        ),
        verbose_name=gettext_lazy("require an open shift"),
    )

    # What a printed receipt shows about the shop (docs/till.md).
    address = models.TextField(
        blank=True,
        help_text=gettext_lazy("Printed on receipts."),
        verbose_name=gettext_lazy("address"),
    )
    phone = models.CharField(
        max_length=32,
        blank=True,
        help_text=gettext_lazy("Printed on receipts."),
        verbose_name=gettext_lazy("phone"),
    )
    tax_id = models.CharField(
        gettext_lazy("tax id (NPWP)"),
        max_length=32,
        blank=True,
        validators=[validate_tax_id],
        help_text=gettext_lazy(
            "NPWP, 15 or 16 digits (dots and dashes allowed); printed on receipts."
        ),
    )
    logo = models.ImageField(
        upload_to="merchants/logos/",
        blank=True,
        help_text=gettext_lazy("Printed at the top of receipts."),
        verbose_name=gettext_lazy("logo"),
    )
    receipt_footer = models.TextField(
        blank=True,
        max_length=500,
        help_text=gettext_lazy("Printed at the bottom of receipts: thanks, Wi-Fi."),
        verbose_name=gettext_lazy("receipt footer"),
    )

    merchant_lookup = "pk"

    class Meta:
        verbose_name = gettext_lazy("merchant")
        verbose_name_plural = gettext_lazy("merchants")
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
        return self.secret_is_stored("midtrans_server_key")

    @property
    def has_xendit_secret_key(self) -> bool:
        return self.secret_is_stored("xendit_secret_key")

    def clean_fields(self, exclude=None):
        # A secret no key reads is kept as stored (see merchants/crypto.py), not validated.
        exclude = {*(exclude or ()), *unreadable_field_names(self)}
        super().clean_fields(exclude=exclude)

    def validate_constraints(self, exclude=None):
        # No constraint reads a secret, and one no key reads must not be decrypted to check them.
        exclude = {*(exclude or ()), *unreadable_field_names(self)}
        super().validate_constraints(exclude=exclude)

    def secret_is_stored(self, name: str) -> bool:
        """Whether an encrypted field holds a value, without decrypting it (so also for one
        the configured keys cannot read)."""
        if name not in self.__dict__:
            self.refresh_from_db(fields=[name])
        return bool(self.__dict__[name])


class Membership(TimeStampedModel):
    class Role(models.IntegerChoices):
        OWNER = 100, gettext_lazy("Owner")
        OFFICER = 10, gettext_lazy("Officer")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=gettext_lazy("user"),
    )
    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=gettext_lazy("merchant"),
    )
    role = models.PositiveSmallIntegerField(
        choices=Role.choices, default=Role.OFFICER, verbose_name=gettext_lazy("role")
    )

    merchant_lookup = "merchant"

    class Meta:
        verbose_name = gettext_lazy("membership")
        verbose_name_plural = gettext_lazy("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "merchant"], name="membership_unique_user")
        ]
        ordering = ["merchant__name", "-role", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} · {self.merchant} ({self.get_role_display()})"


class StaffProfile(models.Model):
    """What a staff member chose for themselves (one row per user, made on first choice)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_profile",
        verbose_name=gettext_lazy("user"),
    )
    language = models.CharField(
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=gettext_lazy("Blank: the browser's language."),
        verbose_name=gettext_lazy("language"),
    )

    class Meta:
        verbose_name = gettext_lazy("staff profile")
        verbose_name_plural = gettext_lazy("staff profiles")

    def __str__(self) -> str:
        return str(self.user)


class TableLocation(TenantModel):
    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.CASCADE,
        related_name="tables",
        verbose_name=gettext_lazy("merchant"),
    )
    number = models.CharField(
        max_length=20,
        help_text=gettext_lazy("What is written on the table, e.g. A1."),
        verbose_name=gettext_lazy("number"),
    )
    name = models.CharField(max_length=80, blank=True, verbose_name=gettext_lazy("name"))
    capacity = models.PositiveSmallIntegerField(
        default=4, validators=[MinValueValidator(1)], verbose_name=gettext_lazy("capacity")
    )
    zone = models.CharField(
        max_length=40,
        blank=True,
        help_text=gettext_lazy("Indoor, terrace, first floor…"),
        verbose_name=gettext_lazy("zone"),
    )
    is_active = models.BooleanField(default=True, verbose_name=gettext_lazy("is active"))

    class Meta:
        verbose_name = gettext_lazy("table location")
        verbose_name_plural = gettext_lazy("table locations")
        constraints = [
            models.UniqueConstraint(fields=["merchant", "number"], name="table_unique_number")
        ]
        ordering = ["merchant", "number"]

    def __str__(self) -> str:
        return f"Table {self.number}" + (f" ({self.name})" if self.name else "")


class StaffToken(TimeStampedModel):
    """An API token for a staff user. Only the SHA-256 of the key is stored.

    It lapses `STAFF_TOKEN_TTL_HOURS` after its last use (or its creation): the expiry is
    computed from `last_used_at`, which authentication renews at most once a minute.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=gettext_lazy("user"),
    )
    key_hash = models.CharField(max_length=64, unique=True, verbose_name=gettext_lazy("key hash"))
    prefix = models.CharField(
        max_length=8,
        help_text=gettext_lazy("First characters, to recognise a token."),
        verbose_name=gettext_lazy("prefix"),
    )
    last_used_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("last used at")
    )

    class Meta:
        verbose_name = gettext_lazy("staff token")
        verbose_name_plural = gettext_lazy("staff tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} · {self.prefix}…"

    @staticmethod
    def ttl() -> timedelta:
        return timedelta(hours=settings.STAFF_TOKEN_TTL_HOURS)

    @property
    def expires_at(self) -> datetime:
        return (self.last_used_at or self.created_at) + self.ttl()


class StaffInvitation(TenantModel):
    """An owner's offer of a role at their merchant, sent by email and accepted by the invitee.

    Nobody becomes staff of a merchant without consenting: the invitee opens the emailed link and
    accepts while signed in (or creates an account there). Only a hash of the link's token is
    stored; the token is derived from `secret_seed` with the server's key, so the email task can
    rebuild it from the row id.
    """

    class Status(models.TextChoices):
        PENDING = "pending", gettext_lazy("Pending")
        ACCEPTED = "accepted", gettext_lazy("Accepted")
        EXPIRED = "expired", gettext_lazy("Expired")

    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.CASCADE,
        related_name="staff_invitations",
        verbose_name=gettext_lazy("merchant"),
    )
    email = models.EmailField(verbose_name=gettext_lazy("email"))
    role = models.PositiveSmallIntegerField(
        choices=Membership.Role.choices,
        default=Membership.Role.OFFICER,
        verbose_name=gettext_lazy("role"),
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("invited by"),
    )
    secret_seed = models.CharField(
        max_length=64, editable=False, verbose_name=gettext_lazy("secret seed")
    )
    token_hash = models.CharField(
        max_length=64, unique=True, editable=False, verbose_name=gettext_lazy("token hash")
    )
    expires_at = models.DateTimeField(verbose_name=gettext_lazy("expires at"))
    email_sent_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=gettext_lazy("email sent at")
    )
    accepted_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=gettext_lazy("accepted at")
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=gettext_lazy("accepted by"),
    )

    class Meta:
        verbose_name = gettext_lazy("staff invitation")
        verbose_name_plural = gettext_lazy("staff invitations")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["merchant", "email"], name="invitation_merchant_email")]

    def __str__(self) -> str:
        return f"{self.email} · {self.merchant} ({self.get_role_display()})"

    def status_at(self, now: datetime) -> str:
        if self.accepted_at is not None:
            return self.Status.ACCEPTED
        return self.Status.PENDING if self.expires_at > now else self.Status.EXPIRED


class OutboxTask(models.Model):
    """A Celery task the broker could not take after its transaction committed.

    Written by `merchants.outbox.task_queue_on_commit` when publishing fails (the broker is
    down), and sent again by the beat sweep `merchants.tasks.outbox_send_pending_task` once
    the broker answers. Every task sent this way is idempotent (each email is claimed before it
    goes), so a row sent twice does no harm.
    """

    task_name = models.CharField(max_length=200, verbose_name=gettext_lazy("task name"))
    args = models.JSONField(default=list, blank=True, verbose_name=gettext_lazy("args"))
    kwargs = models.JSONField(default=dict, blank=True, verbose_name=gettext_lazy("kwargs"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))
    attempts = models.PositiveIntegerField(
        default=0,
        help_text=gettext_lazy("Sends tried by the sweep."),
        verbose_name=gettext_lazy("attempts"),
    )
    last_error = models.TextField(blank=True, verbose_name=gettext_lazy("last error"))
    last_attempt_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("last attempt at")
    )
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("sent at"))

    class Meta:
        verbose_name = gettext_lazy("outbox task")
        verbose_name_plural = gettext_lazy("outbox tasks")
        ordering = ["-created_at"]
        indexes = [
            # The sweep and /health/ read only the pending rows, oldest first.
            models.Index(
                fields=["created_at"],
                name="outbox_pending_idx",
                condition=models.Q(sent_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)}"


class ExportJob(TimeStampedModel):
    """A CSV export too big to stream while the browser waits: written by a Celery task to the
    exports storage, downloaded by the person who asked for it (see merchants/export_jobs.py)."""

    class Status(models.TextChoices):
        PENDING = "pending", gettext_lazy("Waiting for a worker")
        RUNNING = "running", gettext_lazy("Being written")
        DONE = "done", gettext_lazy("Ready to download")
        FAILED = "failed", gettext_lazy("Failed")

    ALLOWED_TRANSITIONS = {
        Status.PENDING: {Status.RUNNING, Status.FAILED},
        Status.RUNNING: {Status.DONE, Status.FAILED},
        Status.DONE: set(),
        Status.FAILED: set(),
    }

    merchant = models.ForeignKey(
        Merchant,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="export_jobs",
        help_text=gettext_lazy(
            "The merchant whose rows it holds; empty: several (the operator's exports)."
        ),
        verbose_name=gettext_lazy("merchant"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="export_jobs",
        verbose_name=gettext_lazy("requested by"),
    )
    kind = models.CharField(
        max_length=100,
        help_text=gettext_lazy("What is exported, e.g. orders.order."),
        verbose_name=gettext_lazy("kind"),
    )
    filters = models.JSONField(
        default=dict,
        blank=True,
        help_text=gettext_lazy("The list's filters, search and ordering."),
        verbose_name=gettext_lazy("filters"),
    )
    selected_ids = models.JSONField(
        null=True, blank=True, verbose_name=gettext_lazy("selected ids")
    )
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.PENDING,
        verbose_name=gettext_lazy("status"),
    )
    progress = models.PositiveIntegerField(
        default=0,
        help_text=gettext_lazy("Rows written so far."),
        verbose_name=gettext_lazy("progress"),
    )
    row_count = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=gettext_lazy("Rows in all."),
        verbose_name=gettext_lazy("row count"),
    )
    filename = models.CharField(max_length=200, blank=True, verbose_name=gettext_lazy("filename"))
    file_name = models.CharField(
        max_length=300,
        blank=True,
        help_text=gettext_lazy("Where the file is in the exports storage."),
        verbose_name=gettext_lazy("file name"),
    )
    error = models.TextField(blank=True, verbose_name=gettext_lazy("error"))
    started_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("started at")
    )
    finished_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("finished at")
    )

    merchant_lookup = "merchant"

    class Meta:
        verbose_name = gettext_lazy("export job")
        verbose_name_plural = gettext_lazy("export jobs")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["requested_by", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.filename or self.kind} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int | None:
        if not self.row_count:
            return 100 if self.status == self.Status.DONE else None
        return min(100, self.progress * 100 // self.row_count)
