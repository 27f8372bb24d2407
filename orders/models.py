"""Orders: the order, its lines and its history, the day's numbers and the idempotency records.

Longer than 500 lines on purpose: Django finds an app's models in `models.py`, and these models
are one graph around `Order` (its lines, events and number sequence point at it, and its
statuses, money and discount rules live on it); a `models/` package would only add imports
between its files.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy

from merchants.models import Merchant, TableLocation, TenantModel, TimeStampedModel
from merchants.money import DEFAULT_CURRENCY

ZERO = Decimal(0)


def choice_label(choices: type[models.TextChoices], value: str) -> str:
    """The label of `value` among `choices` in the active language; a value they no longer
    name (an older record) as stored."""
    return str(dict(choices.choices).get(value, value))


def money(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=14, decimal_places=2, default=ZERO, **kwargs)


class Order(TenantModel):
    # How payments name an order: (reference_kind, str(pk)). See payments.registry.
    PAYMENT_REFERENCE_KIND = "order"

    class Status(models.TextChoices):
        PENDING = "pending", gettext_lazy("Pending")
        CONFIRMED = "confirmed", gettext_lazy("Confirmed")
        COMPLETED = "completed", gettext_lazy("Completed")
        CANCELLED = "cancelled", gettext_lazy("Cancelled")

    ALLOWED_TRANSITIONS: dict[str, set[str]] = {
        Status.PENDING: {Status.CONFIRMED, Status.CANCELLED},
        Status.CONFIRMED: {Status.COMPLETED, Status.CANCELLED},
        Status.COMPLETED: set(),
        Status.CANCELLED: set(),
    }

    class PaymentStatus(models.TextChoices):
        UNPAID = "unpaid", gettext_lazy("Unpaid")
        PENDING = "pending", gettext_lazy("Pending")
        PAID = "paid", gettext_lazy("Paid")
        FAILED = "failed", gettext_lazy("Failed")
        EXPIRED = "expired", gettext_lazy("Expired")
        REFUNDED = "refunded", gettext_lazy("Refunded")
        PARTIALLY_REFUNDED = "partially_refunded", gettext_lazy("Partially refunded")

    PAYMENT_TRANSITIONS: dict[str, set[str]] = {
        PaymentStatus.UNPAID: {PaymentStatus.PENDING, PaymentStatus.PAID},
        # A customer may abandon one attempt and start another, or a charge may be reversed.
        PaymentStatus.PENDING: {
            PaymentStatus.PAID,
            PaymentStatus.FAILED,
            PaymentStatus.EXPIRED,
            PaymentStatus.UNPAID,
        },
        PaymentStatus.FAILED: {PaymentStatus.PENDING, PaymentStatus.PAID},
        PaymentStatus.EXPIRED: {PaymentStatus.PENDING, PaymentStatus.PAID},
        PaymentStatus.PAID: {
            PaymentStatus.REFUNDED,
            PaymentStatus.PARTIALLY_REFUNDED,
            PaymentStatus.FAILED,  # a settlement reversed by the bank (deny after settlement)
        },
        PaymentStatus.PARTIALLY_REFUNDED: {
            PaymentStatus.PARTIALLY_REFUNDED,
            PaymentStatus.REFUNDED,
        },
        PaymentStatus.REFUNDED: set(),
    }
    # Money came in for the whole order (some may have gone back since): nothing more is due.
    SETTLED_PAYMENT_STATUSES = frozenset(
        {PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}
    )

    class DiscountKind(models.TextChoices):
        PERCENT = "percent", gettext_lazy("Percent of the bill")
        AMOUNT = "amount", gettext_lazy("Amount off the bill")

    class Type(models.TextChoices):
        DINE_IN = "dine_in", gettext_lazy("Dine in")
        TAKEAWAY = "takeaway", gettext_lazy("Takeaway")
        DELIVERY = "delivery", gettext_lazy("Delivery")
        SERVICE_JOB = "service_job", gettext_lazy("Service job")
        WALK_IN = "walk_in", gettext_lazy("Walk in")

    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=gettext_lazy("merchant"),
    )
    number = models.CharField(
        max_length=24,
        help_text=gettext_lazy("INV-YYYYMMDD-NNNN, per merchant per day."),
        verbose_name=gettext_lazy("number"),
    )
    business_date = models.DateField(
        help_text=gettext_lazy("The merchant's local date when it was placed."),
        verbose_name=gettext_lazy("business date"),
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=gettext_lazy("customer"),
    )
    table = models.ForeignKey(
        TableLocation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=gettext_lazy("table"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders_created",
        help_text=gettext_lazy(
            "The staff member who rang it up (empty when the customer ordered)."
        ),
        verbose_name=gettext_lazy("created by"),
    )
    order_type = models.CharField(
        max_length=20,
        choices=Type.choices,
        default=Type.TAKEAWAY,
        verbose_name=gettext_lazy("order type"),
    )
    guest_count = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(500)],
        verbose_name=gettext_lazy("guest count"),
    )
    notes = models.TextField(blank=True, verbose_name=gettext_lazy("notes"))
    status = models.CharField(
        max_length=20,
        choices=Status.choices,
        default=Status.PENDING,
        verbose_name=gettext_lazy("status"),
    )
    payment_status = models.CharField(
        max_length=20,
        choices=PaymentStatus.choices,
        default=PaymentStatus.UNPAID,
        verbose_name=gettext_lazy("payment status"),
    )
    subtotal_amount = money(
        help_text=gettext_lazy("Σ base price × quantity (net of tax when prices include it)."),
        verbose_name=gettext_lazy("subtotal amount"),
    )
    discount_amount = money(
        help_text=gettext_lazy(
            "Σ (base − final price) × quantity, plus the staff discount if any."
        ),
        verbose_name=gettext_lazy("discount amount"),
    )
    tax_amount = money(verbose_name=gettext_lazy("tax amount"))
    service_charge_amount = money(verbose_name=gettext_lazy("service charge amount"))
    total_amount = money(
        help_text=gettext_lazy("subtotal − discount + tax + service charge."),
        verbose_name=gettext_lazy("total amount"),
    )
    rounded_amount = money(
        help_text=gettext_lazy("The total rounded for cash (IDR: to the nearest 100)."),
        verbose_name=gettext_lazy("rounded amount"),
    )
    currency = models.CharField(
        max_length=3, default=DEFAULT_CURRENCY, verbose_name=gettext_lazy("currency")
    )
    prices_include_tax = models.BooleanField(
        default=False,
        help_text=gettext_lazy("The merchant's prices included tax when the order was placed."),
        verbose_name=gettext_lazy("prices include tax"),
    )
    staff_discount_kind = models.CharField(
        max_length=10,
        choices=DiscountKind.choices,
        blank=True,
        help_text=gettext_lazy("Blank: none."),
        verbose_name=gettext_lazy("staff discount kind"),
    )
    staff_discount_value = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=gettext_lazy("Percent or amount."),
        verbose_name=gettext_lazy("staff discount value"),
    )
    staff_discount_reason = models.CharField(
        max_length=255, blank=True, verbose_name=gettext_lazy("staff discount reason")
    )
    staff_discount_amount = money(
        help_text=gettext_lazy(
            "What the staff discount takes off, before tax (part of discount_amount)."
        ),
        verbose_name=gettext_lazy("staff discount amount"),
    )
    amount_paid = money(
        help_text=gettext_lazy(
            "Σ of the order's payments that brought money in (before any refund)."
        ),
        verbose_name=gettext_lazy("amount paid"),
    )
    split_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="split_orders",
        help_text=gettext_lazy("The bill this one was split from."),
        verbose_name=gettext_lazy("split from"),
    )
    # True while units of tracked products are held for this order; flipped exactly once.
    stock_reserved = models.BooleanField(default=False, verbose_name=gettext_lazy("stock reserved"))
    confirmed_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("confirmed at")
    )
    completed_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("completed at")
    )
    cancelled_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("cancelled at")
    )
    paid_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("paid at"))
    # Claimed by one conditional update before the receipt goes out, so it goes out once.
    receipt_sent_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=gettext_lazy("When the paid receipt was emailed to the customer."),
        verbose_name=gettext_lazy("receipt sent at"),
    )

    class Meta:
        verbose_name = gettext_lazy("order")
        verbose_name_plural = gettext_lazy("orders")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "number"], name="order_unique_number"),
            models.CheckConstraint(
                condition=models.Q(total_amount__gte=0), name="order_total_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["merchant", "-created_at"], name="order_merchant_recent"),
            models.Index(fields=["merchant", "business_date"], name="order_merchant_day"),
            models.Index(fields=["merchant", "status", "payment_status"], name="order_states"),
            models.Index(fields=["customer", "-created_at"], name="order_customer_recent"),
        ]

    def __str__(self) -> str:
        return self.number

    @staticmethod
    def number_for(day, sequence: int) -> str:
        """The order number of the day's `sequence`-th order: INV-YYYYMMDD-NNNN."""
        return f"INV-{day:%Y%m%d}-{sequence:04d}"

    def allowed_next_statuses(self) -> list[str]:
        return sorted(self.ALLOWED_TRANSITIONS[self.status])

    @property
    def is_settled(self) -> bool:
        """Paid in full (or paid and refunded since): nothing more is due."""
        return self.payment_status in self.SETTLED_PAYMENT_STATUSES

    @property
    def amount_due(self) -> Decimal:
        """What is still to pay: the total less what the payments brought in (0 once paid, or
        once cancelled). Cash pays it rounded (`merchants.money.round_for_cash`)."""
        if self.status == self.Status.CANCELLED or self.is_settled:
            return ZERO
        return max(self.total_amount - self.amount_paid, ZERO)


class ActiveLineManager(models.Manager):
    """The lines that count: a line voided from an open bill is kept (for its history and its
    stock record) but is no longer part of the order, its totals, receipts or reports.
    `OrderItem.all_lines` reaches voided ones too."""

    def get_queryset(self):
        return super().get_queryset().filter(voided_at__isnull=True)


class OrderItem(models.Model):
    """One line, with everything the price was made of at the time (a snapshot)."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="items", verbose_name=gettext_lazy("order")
    )
    product = models.ForeignKey(
        "catalog.Product",
        on_delete=models.PROTECT,
        related_name="order_items",
        verbose_name=gettext_lazy("product"),
    )
    product_name = models.CharField(max_length=120, verbose_name=gettext_lazy("product name"))
    product_type = models.CharField(max_length=10, verbose_name=gettext_lazy("product type"))
    base_price = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text=gettext_lazy("Unit list price with its modifiers."),
        verbose_name=gettext_lazy("base price"),
    )
    final_price = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text=gettext_lazy("Unit price after the promotion, with its modifiers."),
        verbose_name=gettext_lazy("final price"),
    )
    modifiers = models.JSONField(
        default=list,
        blank=True,
        help_text=gettext_lazy("The options chosen: [{id, group_id, group, name, price_delta}]."),
        verbose_name=gettext_lazy("modifiers"),
    )
    promotion_id = models.PositiveBigIntegerField(
        null=True, blank=True, verbose_name=gettext_lazy("promotion ID")
    )
    promotion_name = models.CharField(
        max_length=120, blank=True, verbose_name=gettext_lazy("promotion name")
    )
    tax_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=ZERO, verbose_name=gettext_lazy("tax percent")
    )
    service_charge_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=ZERO,
        verbose_name=gettext_lazy("service charge percent"),
    )
    quantity = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], verbose_name=gettext_lazy("quantity")
    )
    reserved_quantity = models.PositiveIntegerField(
        default=0,
        help_text=gettext_lazy("Units taken from stock (0 for untracked products)."),
        verbose_name=gettext_lazy("reserved quantity"),
    )
    line_subtotal_amount = money(
        help_text=gettext_lazy("Final price × quantity (net of tax when prices include it)."),
        verbose_name=gettext_lazy("line subtotal amount"),
    )
    discount_amount = money(
        help_text=gettext_lazy("(Base − final price) × quantity: promotions."),
        verbose_name=gettext_lazy("discount amount"),
    )
    order_discount_amount = money(
        help_text=gettext_lazy("This line's share of the staff discount."),
        verbose_name=gettext_lazy("order discount amount"),
    )
    tax_amount = money(verbose_name=gettext_lazy("tax amount"))
    service_charge_amount = money(verbose_name=gettext_lazy("service charge amount"))
    notes = models.CharField(max_length=255, blank=True, verbose_name=gettext_lazy("notes"))
    voided_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("voided at"))
    voided_by = models.CharField(
        max_length=80,
        blank=True,
        help_text=gettext_lazy("Who voided it."),
        verbose_name=gettext_lazy("voided by"),
    )
    void_reason = models.CharField(
        max_length=255, blank=True, verbose_name=gettext_lazy("void reason")
    )

    merchant_lookup = "order__merchant"

    objects = ActiveLineManager()
    all_lines = models.Manager()  # noqa: DJ012 (a manager, not a field)

    class Meta:
        verbose_name = gettext_lazy("order item")
        verbose_name_plural = gettext_lazy("order items")
        ordering = ["order", "pk"]
        # The related managers (`order.items`) hide voided lines too; see ActiveLineManager.
        default_manager_name = "objects"
        base_manager_name = "all_lines"

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_name}"


class OrderEvent(models.Model):
    """Append-only history of an order: who did what, when, from which state to which."""

    class Kind(models.TextChoices):
        CREATED = "created", gettext_lazy("Created")
        STATUS = "status", gettext_lazy("Status changed")
        PAYMENT = "payment", gettext_lazy("Payment status changed")
        STOCK_RELEASED = "stock_released", gettext_lazy("Stock released")
        LINES_ADDED = "lines_added", gettext_lazy("Lines added")
        LINE_VOIDED = "line_voided", gettext_lazy("Line voided")
        MOVED = "moved", gettext_lazy("Moved to another table")
        SPLIT = "split", gettext_lazy("Split")
        DISCOUNT = "discount", gettext_lazy("Discount changed")
        REFUND = "refund", gettext_lazy("Refund")
        KITCHEN_TICKET = "kitchen_ticket", gettext_lazy("Kitchen ticket printed")

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="events", verbose_name=gettext_lazy("order")
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, verbose_name=gettext_lazy("kind"))
    from_status = models.CharField(
        max_length=20, blank=True, verbose_name=gettext_lazy("from status")
    )
    to_status = models.CharField(max_length=20, blank=True, verbose_name=gettext_lazy("to status"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("actor"),
    )
    actor_label = models.CharField(
        max_length=80,
        help_text=gettext_lazy("Who: a staff username, 'customer <id>' or 'system'."),
        verbose_name=gettext_lazy("actor label"),
    )
    payload = models.JSONField(default=dict, blank=True, verbose_name=gettext_lazy("payload"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))

    merchant_lookup = "order__merchant"

    class Meta:
        verbose_name = gettext_lazy("order event")
        verbose_name_plural = gettext_lazy("order events")
        ordering = ["order", "created_at", "pk"]

    def __str__(self) -> str:
        change = ""
        if self.to_status:
            change = f" {self.status_label(self.from_status)} → {self.status_label(self.to_status)}"
        return f"{self.get_kind_display()}{change}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Order events are append-only.")
        super().save(*args, **kwargs)

    def status_label(self, status: str) -> str:
        """A from or to status as people read it: a payment's for payment events, else the
        order's ("—" for none: an order's first event comes from nowhere)."""
        if not status:
            return "—"
        choices = Order.PaymentStatus if self.kind == self.Kind.PAYMENT else Order.Status
        return choice_label(choices, status)


class OrderNumberSequence(models.Model):
    """The last order number used by a merchant on a local day (numbers never repeat)."""

    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="+", verbose_name=gettext_lazy("merchant")
    )
    day = models.DateField(verbose_name=gettext_lazy("day"))
    last_number = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("last number"))

    class Meta:
        verbose_name = gettext_lazy("order number sequence")
        verbose_name_plural = gettext_lazy("order number sequences")
        constraints = [
            models.UniqueConstraint(fields=["merchant", "day"], name="order_sequence_unique_day")
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id} {self.day}: {self.last_number}"


class IdempotencyRecord(TimeStampedModel):
    """The first answer to a POST carrying an `Idempotency-Key`, replayed for repeats."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", gettext_lazy("In progress")
        DONE = "done", gettext_lazy("Done")

    scope = models.CharField(
        max_length=120,
        help_text=gettext_lazy("merchant and caller"),
        verbose_name=gettext_lazy("scope"),
    )
    key = models.CharField(max_length=255, verbose_name=gettext_lazy("key"))
    request_hash = models.CharField(max_length=64, verbose_name=gettext_lazy("request hash"))
    state = models.CharField(
        max_length=12,
        choices=State.choices,
        default=State.IN_PROGRESS,
        verbose_name=gettext_lazy("state"),
    )
    response_status = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=gettext_lazy("response status")
    )
    response_body = models.JSONField(
        null=True, blank=True, verbose_name=gettext_lazy("response body")
    )

    class Meta:
        verbose_name = gettext_lazy("idempotency record")
        verbose_name_plural = gettext_lazy("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"
