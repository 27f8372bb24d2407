from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy

from merchants.models import Merchant, TenantModel


class Customer(TenantModel):
    """A shopper of one merchant. Not a Django user: customers sign in by email link or code."""

    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.CASCADE,
        related_name="customers",
        verbose_name=gettext_lazy("merchant"),
    )
    email = models.EmailField(
        max_length=254,
        help_text=gettext_lazy("Stored in lower case."),
        verbose_name=gettext_lazy("email"),
    )
    name = models.CharField(max_length=120, blank=True, verbose_name=gettext_lazy("name"))
    phone = models.CharField(max_length=32, blank=True, verbose_name=gettext_lazy("phone"))
    is_active = models.BooleanField(
        default=True,
        help_text=gettext_lazy("Off: this customer can no longer sign in or use their tokens."),
        verbose_name=gettext_lazy("is active"),
    )
    last_login_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("last login at")
    )
    # Every customer JWT carries this number; bumping it revokes all tokens issued before.
    token_version = models.PositiveIntegerField(
        default=1, verbose_name=gettext_lazy("token version")
    )

    class Meta:
        verbose_name = gettext_lazy("customer")
        verbose_name_plural = gettext_lazy("customers")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                "merchant",
                name="customer_unique_email_per_merchant",
                violation_error_message=gettext_lazy(
                    "This merchant already has a customer with this email."
                ),
            )
        ]
        indexes = [
            # The admin's first and last sign-up date of the merchant's customers.
            models.Index(fields=["merchant", "-created_at"], name="customer_merchant_recent"),
            # The merchant's customers by email, a page at a time (API and admin lists).
            models.Index(fields=["merchant", "email"], name="customer_merchant_email"),
            # Searching by any part of email, name or phone: GIN trigram indexes on PostgreSQL,
            # made by migration 0004 (customer_email_trgm, customer_name_trgm,
            # customer_phone_trgm), which Django's Meta cannot declare for SQLite as well.
        ]
        ordering = ["merchant", "email"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


class LoginChallenge(TenantModel):
    """One emailed magic link or one-time code.

    Neither the link token nor the code is stored: `token_hash` is the SHA-256 of the link token
    and `otp_hmac` a keyed HMAC of the code. Both are rebuilt from `secret_seed` and the server's
    SECRET_KEY by the email task (see `customers.services`), so the task takes only this row's id
    and a database dump alone reveals no usable link or code. A challenge is consumed by one
    conditional UPDATE on `used_at`.
    """

    class Kind(models.TextChoices):
        LINK = "link", gettext_lazy("Magic link")
        OTP = "otp", gettext_lazy("One-time code")

    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="+", verbose_name=gettext_lazy("merchant")
    )
    email = models.EmailField(
        max_length=254,
        help_text=gettext_lazy("Normalised to lower case."),
        verbose_name=gettext_lazy("email"),
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="login_challenges",
        help_text=gettext_lazy(
            "Empty for an email that has no customer yet (created on verification)."
        ),
        verbose_name=gettext_lazy("customer"),
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, verbose_name=gettext_lazy("kind"))
    secret_seed = models.CharField(max_length=64, verbose_name=gettext_lazy("secret seed"))
    token_hash = models.CharField(
        max_length=64, unique=True, null=True, blank=True, verbose_name=gettext_lazy("token hash")
    )
    otp_hmac = models.CharField(max_length=64, blank=True, verbose_name=gettext_lazy("OTP hmac"))
    expires_at = models.DateTimeField(verbose_name=gettext_lazy("expires at"))
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=gettext_lazy("attempts"))
    used_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("used at"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("sent at"))

    class Meta:
        verbose_name = gettext_lazy("login challenge")
        verbose_name_plural = gettext_lazy("login challenges")
        indexes = [
            models.Index(
                fields=["merchant", "email", "kind", "created_at"], name="challenge_recent_idx"
            ),
            models.Index(fields=["expires_at"], name="challenge_expires_idx"),
            # The admin's list newest first and its first and last date, per merchant.
            models.Index(fields=["merchant", "-created_at"], name="challenge_merchant_recent"),
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.email}"
