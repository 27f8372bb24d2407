"""One Payment per attempt at a gateway for one reference; every exchange is a PaymentEvent.

Payments know references only as (`reference_kind`, `reference_id`) strings: the app that owns
the reference (orders, photobox) registers a handler in `payments.registry`.

Longer than 500 lines on purpose: Django finds an app's models in `models.py`, and `Payment`
with its status map is two fifths of it; the method, shift, cash movement and event rows beside
it each point to a payment or are pointed to by one.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy

from merchants.models import Merchant, TenantModel
from merchants.money import DEFAULT_CURRENCY


class PaymentMethod(TenantModel):
    """A way a merchant takes money: cash, a card terminal, a transfer, a printed QRIS code,
    an e-wallet, or a gateway (Midtrans Snap or QRIS, Xendit QRIS). Staff record a tender by
    its method; reports show takings per method."""

    class Kind(models.TextChoices):
        CASH = "cash", gettext_lazy("Cash")
        CARD = "card", gettext_lazy("Card (EDC terminal)")
        TRANSFER = "transfer", gettext_lazy("Bank transfer")
        QRIS_STATIC = "qris_static", gettext_lazy("QRIS (printed code)")
        EWALLET = "ewallet", gettext_lazy("E-wallet")
        OTHER = "other", gettext_lazy("Other")
        MIDTRANS_SNAP = "midtrans_snap", gettext_lazy("Midtrans Snap")
        MIDTRANS_QRIS = "midtrans_qris", gettext_lazy("Midtrans QRIS")
        XENDIT_QRIS = "xendit_qris", gettext_lazy("Xendit QRIS")

    # Recorded by staff, the money already taken (no gateway involved), cash apart.
    MANUAL_KINDS = frozenset({Kind.CARD, Kind.TRANSFER, Kind.QRIS_STATIC, Kind.EWALLET, Kind.OTHER})
    GATEWAY_KINDS = frozenset({Kind.MIDTRANS_SNAP, Kind.MIDTRANS_QRIS, Kind.XENDIT_QRIS})

    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.CASCADE,
        related_name="payment_methods",
        verbose_name=gettext_lazy("merchant"),
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, verbose_name=gettext_lazy("kind"))
    name = models.CharField(
        max_length=60,
        help_text=gettext_lazy("As staff and receipts say it: BCA EDC."),
        verbose_name=gettext_lazy("name"),
    )
    is_active = models.BooleanField(
        default=True,
        help_text=gettext_lazy("Off: no longer offered."),
        verbose_name=gettext_lazy("is active"),
    )
    sort_order = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("sort order"))

    class Meta:
        verbose_name = gettext_lazy("payment method")
        verbose_name_plural = gettext_lazy("payment methods")
        ordering = ["sort_order", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                "merchant",
                Lower("name"),
                name="payment_method_unique_name",
                violation_error_message=gettext_lazy(
                    "A payment method with this name already exists."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_cash(self) -> bool:
        return self.kind == self.Kind.CASH

    @property
    def is_manual(self) -> bool:
        return self.kind in self.MANUAL_KINDS

    @property
    def is_gateway(self) -> bool:
        return self.kind in self.GATEWAY_KINDS


class Payment(TenantModel):
    class Gateway(models.TextChoices):
        MIDTRANS = "midtrans", gettext_lazy("Midtrans")
        XENDIT = "xendit", gettext_lazy("Xendit")
        CASH = "cash", gettext_lazy("Cash")
        MANUAL = "manual", gettext_lazy("Recorded by staff")

    class Method(models.TextChoices):
        SNAP = "snap", gettext_lazy("Snap (customer picks the method)")
        QRIS = "qris", gettext_lazy("QRIS")
        CASH = "cash", gettext_lazy("Cash")
        CARD = "card", gettext_lazy("Card")
        TRANSFER = "transfer", gettext_lazy("Bank transfer")
        QRIS_STATIC = "qris_static", gettext_lazy("QRIS (printed code)")
        EWALLET = "ewallet", gettext_lazy("E-wallet")
        OTHER = "other", gettext_lazy("Other")

    class Status(models.TextChoices):
        PENDING = "pending", gettext_lazy("Pending")
        PAID = "paid", gettext_lazy("Paid")
        FAILED = "failed", gettext_lazy("Failed")
        EXPIRED = "expired", gettext_lazy("Expired")
        CANCELLED = "cancelled", gettext_lazy("Cancelled")
        REFUNDED = "refunded", gettext_lazy("Refunded")
        PARTIALLY_REFUNDED = "partially_refunded", gettext_lazy("Partially refunded")

    # Every move a payment may make. Nothing else is applied, whatever a gateway says.
    ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
        Status.PENDING: frozenset({Status.PAID, Status.FAILED, Status.EXPIRED, Status.CANCELLED}),
        # FAILED: a settlement reversed to deny; CANCELLED: a card capture voided.
        Status.PAID: frozenset(
            {Status.FAILED, Status.CANCELLED, Status.REFUNDED, Status.PARTIALLY_REFUNDED}
        ),
        Status.PARTIALLY_REFUNDED: frozenset({Status.REFUNDED}),
        # Money that reached the gateway after we gave up locally is recorded, never ignored;
        # the owner of the reference decides (usually a refund).
        Status.EXPIRED: frozenset({Status.PAID}),
        Status.CANCELLED: frozenset({Status.PAID}),
        Status.FAILED: frozenset(),
        Status.REFUNDED: frozenset(),
    }
    PAID_STATUSES = frozenset({Status.PAID, Status.PARTIALLY_REFUNDED, Status.REFUNDED})

    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=gettext_lazy("merchant"),
    )
    reference_kind = models.CharField(
        max_length=40,
        help_text=gettext_lazy('What is paid for, e.g. "order" or "photo_session".'),
        verbose_name=gettext_lazy("reference kind"),
    )
    reference_id = models.CharField(max_length=64, verbose_name=gettext_lazy("reference ID"))
    gateway = models.CharField(
        max_length=20, choices=Gateway.choices, verbose_name=gettext_lazy("gateway")
    )
    method = models.CharField(
        max_length=20, choices=Method.choices, verbose_name=gettext_lazy("method")
    )
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, verbose_name=gettext_lazy("amount")
    )
    currency = models.CharField(
        max_length=3, default=DEFAULT_CURRENCY, verbose_name=gettext_lazy("currency")
    )
    status = models.CharField(
        max_length=20,
        choices=Status.choices,
        default=Status.PENDING,
        db_index=True,
        verbose_name=gettext_lazy("status"),
    )
    gateway_status = models.CharField(
        max_length=60,
        blank=True,
        help_text=gettext_lazy("The gateway's last word, e.g. capture/challenge."),
        verbose_name=gettext_lazy("gateway status"),
    )
    gateway_order_id = models.CharField(
        max_length=50,
        unique=True,
        help_text=gettext_lazy("Our id at the gateway (Midtrans order_id)."),
        verbose_name=gettext_lazy("gateway order ID"),
    )
    gateway_transaction_id = models.CharField(
        max_length=100,
        blank=True,
        db_index=True,
        verbose_name=gettext_lazy("gateway transaction ID"),
    )
    snap_token = models.CharField(
        max_length=255, blank=True, verbose_name=gettext_lazy("snap token")
    )
    redirect_url = models.URLField(
        max_length=500, blank=True, verbose_name=gettext_lazy("redirect URL")
    )
    qr_string = models.TextField(blank=True, verbose_name=gettext_lazy("QR string"))
    expires_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("expires at")
    )
    paid_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("paid at"))
    refunded_amount = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        verbose_name=gettext_lazy("refunded amount"),
    )
    amount_mismatch = models.BooleanField(
        default=False,
        help_text=gettext_lazy(
            "The gateway reported another amount: never marked paid; check it by hand."
        ),
        verbose_name=gettext_lazy("amount mismatch"),
    )
    cash_tendered_amount = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        verbose_name=gettext_lazy("cash tendered amount"),
    )
    change_amount = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        verbose_name=gettext_lazy("change amount"),
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=gettext_lazy("The cashier who took cash."),
        verbose_name=gettext_lazy("received by"),
    )
    payment_method = models.ForeignKey(
        PaymentMethod,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        help_text=gettext_lazy(
            "The merchant's payment method it was taken by, when one was named."
        ),
        verbose_name=gettext_lazy("payment method"),
    )
    tender_reference = models.CharField(
        max_length=100,
        blank=True,
        help_text=gettext_lazy(
            "What staff noted: a card slip's approval code, a transfer's reference."
        ),
        verbose_name=gettext_lazy("tender reference"),
    )
    shift = models.ForeignKey(
        "Shift",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        help_text=gettext_lazy(
            "The cash drawer shift it was taken in (cash and staff-recorded tenders)."
        ),
        verbose_name=gettext_lazy("shift"),
    )

    class Meta:
        verbose_name = gettext_lazy("payment")
        verbose_name_plural = gettext_lazy("payments")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["merchant", "reference_kind", "reference_id"], name="payment_reference_idx"
            ),
            models.Index(fields=["status", "gateway", "created_at"], name="payment_pending_idx"),
            # The merchant's payments newest first, and the admin's first and last date.
            models.Index(fields=["merchant", "-created_at"], name="payment_merchant_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="payment_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__gte=0)
                & models.Q(refunded_amount__lte=models.F("amount")),
                name="payment_refund_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.gateway_order_id} · {self.amount} {self.currency} · {self.status}"

    @property
    def is_recorded_here(self) -> bool:
        """Cash or a manual tender: no gateway knows it, refunds are recorded here."""
        return self.gateway in (self.Gateway.CASH, self.Gateway.MANUAL)

    def can_move_to(self, status: str) -> bool:
        return status in self.ALLOWED_TRANSITIONS.get(self.status, frozenset())

    @property
    def refundable_amount(self) -> Decimal:
        if self.status not in (self.Status.PAID, self.Status.PARTIALLY_REFUNDED):
            return Decimal("0")
        return self.amount - self.refunded_amount


class Shift(TenantModel):
    """One cash drawer, one register, from opening to close. Cash payments, cash refunds and
    cash put in or taken out are tied to it; at close the cash counted is compared with what
    should be there. A closed shift is read-only: a correction is a movement on the next one."""

    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.CASCADE,
        related_name="shifts",
        verbose_name=gettext_lazy("merchant"),
    )
    register = models.CharField(
        max_length=40,
        default="main",
        help_text=gettext_lazy("The till's name."),
        verbose_name=gettext_lazy("register"),
    )
    currency = models.CharField(
        max_length=3, default=DEFAULT_CURRENCY, verbose_name=gettext_lazy("currency")
    )
    opening_cash = models.DecimalField(
        max_digits=14, decimal_places=2, verbose_name=gettext_lazy("opening cash")
    )
    opened_at = models.DateTimeField(verbose_name=gettext_lazy("opened at"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("opened by"),
    )
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("closed at"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("closed by"),
    )
    expected_cash = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        verbose_name=gettext_lazy("expected cash"),
    )
    counted_cash = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        verbose_name=gettext_lazy("counted cash"),
    )
    difference = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=gettext_lazy("Counted minus expected: negative when cash is missing."),
        verbose_name=gettext_lazy("difference"),
    )
    note = models.TextField(blank=True, verbose_name=gettext_lazy("note"))

    class Meta:
        verbose_name = gettext_lazy("shift")
        verbose_name_plural = gettext_lazy("shifts")
        ordering = ["-opened_at", "-pk"]
        indexes = [models.Index(fields=["merchant", "-opened_at"], name="shift_merchant_recent")]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "register"],
                condition=models.Q(closed_at__isnull=True),
                name="shift_one_open_per_register",
            ),
            models.CheckConstraint(
                condition=models.Q(opening_cash__gte=0), name="shift_opening_cash_not_negative"
            ),
        ]

    def __str__(self) -> str:
        state = f"closed {self.closed_at:%Y-%m-%d %H:%M}" if self.closed_at else "open"
        return f"{self.register} · {self.opened_at:%Y-%m-%d %H:%M} · {state}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class CashMovement(TenantModel):
    """Cash into or out of a shift's drawer other than a sale: a float added, a bank drop, a
    supplier paid from the till, or a cash refund handed back (written by the refund)."""

    class Kind(models.TextChoices):
        IN = "in", gettext_lazy("Cash in")
        OUT = "out", gettext_lazy("Cash out")
        REFUND = "refund", gettext_lazy("Cash refund")

    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="+", verbose_name=gettext_lazy("merchant")
    )
    shift = models.ForeignKey(
        Shift,
        on_delete=models.PROTECT,
        related_name="cash_movements",
        verbose_name=gettext_lazy("shift"),
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, verbose_name=gettext_lazy("kind"))
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, verbose_name=gettext_lazy("amount")
    )
    reason = models.CharField(max_length=255, verbose_name=gettext_lazy("reason"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("by"),
    )
    payment = models.ForeignKey(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cash_movements",
        help_text=gettext_lazy("The payment refunded, for a cash refund."),
        verbose_name=gettext_lazy("payment"),
    )

    class Meta:
        verbose_name = gettext_lazy("cash movement")
        verbose_name_plural = gettext_lazy("cash movements")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="cash_movement_amount_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.shift.currency}"


class PaymentEvent(models.Model):
    """Append-only log: every request, response, notification and applied change."""

    class Kind(models.TextChoices):
        REQUEST = "request", gettext_lazy("Request to the gateway")
        RESPONSE = "response", gettext_lazy("Response from the gateway")
        NOTIFICATION = "notification", gettext_lazy("Notification (Midtrans webhook)")
        CALLBACK = "callback", gettext_lazy("Callback (Xendit webhook)")
        STATUS_CHECK = "status_check", gettext_lazy("Status check")
        CANCEL = "cancel", gettext_lazy("Cancel")
        EXPIRE = "expire", gettext_lazy("Expire")
        REFUND = "refund", gettext_lazy("Refund")
        CASH = "cash", gettext_lazy("Cash")
        MANUAL = "manual", gettext_lazy("Recorded by staff")

    payment = models.ForeignKey(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=gettext_lazy("payment"),
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, verbose_name=gettext_lazy("kind"))
    raw = models.JSONField(default=dict, blank=True, verbose_name=gettext_lazy("raw"))
    signature_valid = models.BooleanField(
        null=True,
        blank=True,
        help_text=gettext_lazy("For webhooks: did the signature or token match?"),
        verbose_name=gettext_lazy("signature valid"),
    )
    old_status = models.CharField(
        max_length=20, blank=True, verbose_name=gettext_lazy("old status")
    )
    new_status = models.CharField(
        max_length=20, blank=True, verbose_name=gettext_lazy("new status")
    )
    message = models.CharField(max_length=255, blank=True, verbose_name=gettext_lazy("message"))
    dedupe_key = models.CharField(
        max_length=200,
        null=True,
        blank=True,
        unique=True,
        help_text=gettext_lazy(
            "The same gateway state applied twice has the same key: the second is a no-op."
        ),
        verbose_name=gettext_lazy("dedupe key"),
    )
    created_at = models.DateTimeField(
        auto_now_add=True, db_index=True, verbose_name=gettext_lazy("created at")
    )

    merchant_lookup = "payment__merchant"

    class Meta:
        verbose_name = gettext_lazy("payment event")
        verbose_name_plural = gettext_lazy("payment events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.created_at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Payment events are append-only.")
        self.raw = storable_json(self.raw)
        if self.is_unverified_webhook:
            # Anyone can post these: what they leave in the log is bounded.
            from payments.webhook_guard import bounded_unverified_raw

            self.raw = bounded_unverified_raw(self.raw)
        super().save(*args, **kwargs)

    @property
    def is_unverified_webhook(self) -> bool:
        """A notification for no known payment, or whose signature or token did not match."""
        webhook = self.kind in (self.Kind.NOTIFICATION, self.Kind.CALLBACK)
        return webhook and (self.payment_id is None or self.signature_valid is False)


def storable_json(value):
    """What a caller sent, made storable in a JSON column: PostgreSQL's jsonb refuses NUL
    characters and unpaired surrogates, and the log must keep even a malformed body."""
    if isinstance(value, str):
        cleaned = value.replace("\x00", "\ufffd")
        return cleaned.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, dict):
        return {storable_json(str(key)): storable_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [storable_json(item) for item in value]
    return value
