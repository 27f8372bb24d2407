"""Writes for customers and their passwordless sign-in.

Sign-in is two steps: a *request* (`login_link_request`, `login_otp_request`) creates a
`LoginChallenge` and queues its email; a *verify* (`login_link_verify`, `login_otp_verify`)
consumes it with one conditional UPDATE and returns the customer, creating it on first sign-in.
Requests do the same work whether the email is known or not, so answers and timings do not tell
which addresses are customers.
"""

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext, ngettext

from customers.models import Customer, LoginChallenge
from merchants.emails import send_templated_email
from merchants.errors import Conflict, DomainError, PermissionDenied
from merchants.models import Merchant
from merchants.outbox import task_queue_on_commit
from merchants.secret_links import seeded_token, token_hash

logger = logging.getLogger(__name__)
Kind = LoginChallenge.Kind


class InvalidLogin(DomainError):
    status_code = 400
    code = "invalid_login"


class TooManyRequests(DomainError):
    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, wait: int):
        super().__init__(message, details={"retry_after": wait})
        self.wait = wait


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _validate(customer: Customer) -> None:
    # Uniqueness is checked by the callers (and enforced by the database).
    try:
        customer.full_clean(validate_constraints=False, validate_unique=False)
    except ValidationError as error:
        details = error.message_dict
        field, messages = next(iter(details.items()))
        raise DomainError(f"{field}: {messages[0]}", details=details) from error


# --- customers -------------------------------------------------------------------------------


def customer_get_or_create_by_email(
    *, merchant: Merchant, email: str, name: str = "", phone: str = ""
) -> Customer:
    """The merchant's customer with this email (any case), created when missing.

    Safe under concurrency: a racing insert that loses on the unique constraint reads the
    winner. `name` and `phone` only fill a new customer; an existing one is returned unchanged.
    """
    email = normalize_email(email)
    existing = Customer.objects.filter(merchant=merchant, email__iexact=email).first()
    if existing is not None:
        return existing
    customer = Customer(merchant=merchant, email=email, name=name.strip(), phone=phone.strip())
    _validate(customer)
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        return Customer.objects.get(merchant=merchant, email__iexact=email)
    return customer


def customer_update(*, customer: Customer, **fields) -> Customer:
    """Change name, phone, email or the active flag; email stays unique per merchant."""
    allowed = {"name", "phone", "email", "is_active"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"customer_update cannot change {sorted(unknown)}")
    if "email" in fields:
        fields["email"] = normalize_email(fields["email"])
        clash = Customer.objects.filter(
            merchant_id=customer.merchant_id, email__iexact=fields["email"]
        ).exclude(pk=customer.pk)
        if clash.exists():
            raise Conflict(
                gettext("Another customer already uses %(email)s.") % {"email": fields["email"]},
                details={"email": [gettext("Already used by another customer.")]},
            )
    for name, value in fields.items():
        setattr(customer, name, value)
    _validate(customer)
    customer.save(update_fields=[*fields, "updated_at"])
    return customer


def customer_revoke_tokens(*, customer: Customer) -> Customer:
    """Sign the customer out everywhere: every token issued so far stops working."""
    Customer.objects.filter(pk=customer.pk).update(
        token_version=F("token_version") + 1, updated_at=timezone.now()
    )
    customer.refresh_from_db(fields=["token_version", "updated_at"])
    return customer


# --- secrets of a challenge ------------------------------------------------------------------
# The link token and the code are derived from the row's random seed with a key only the server
# holds, so the email task can rebuild them from the row id alone (and send the same ones again
# on a retry) while the database keeps only a hash of the token and an HMAC of the code.


def _link_token(seed: str) -> str:
    return seeded_token("customers.login.link", seed)


def hash_link_token(token: str) -> str:
    return token_hash(token)


def _otp_code(seed: str) -> str:
    digest = salted_hmac("customers.login.otp", seed, algorithm="sha256").digest()
    length = settings.OTP_LENGTH
    return str(int.from_bytes(digest[:8], "big") % 10**length).zfill(length)


def _otp_hmac(*, merchant_id: int, email: str, code: str) -> str:
    value = f"{merchant_id}:{email}:{code}"
    return salted_hmac("customers.login.otp-check", value, algorithm="sha256").hexdigest()


def login_challenge_secret(challenge: LoginChallenge) -> str:
    """The link token or the code of `challenge` (for its email only)."""
    if challenge.kind == Kind.LINK:
        return _link_token(challenge.secret_seed)
    return _otp_code(challenge.secret_seed)


def magic_link_url(token: str) -> str:
    # Built from a configured base, never from the request's Host header.
    return f"{settings.SITE_URL}/auth/magic/{token}/"


# --- requests --------------------------------------------------------------------------------


def _check_send_limits(*, merchant: Merchant, email: str, kind: str) -> None:
    now = timezone.now()
    recent = LoginChallenge.objects.filter(
        merchant=merchant, email=email, kind=kind, created_at__gt=now - timedelta(hours=1)
    ).order_by("-created_at")
    created = list(recent.values_list("created_at", flat=True)[: settings.OTP_HOURLY_CAP])
    is_link = kind == Kind.LINK
    cooldown = timedelta(seconds=settings.OTP_RESEND_COOLDOWN_SECONDS)
    if created and now - created[0] < cooldown:
        wait = int((created[0] + cooldown - now).total_seconds()) + 1
        raise TooManyRequests(
            (
                gettext(
                    "A link was sent to this address moments ago; wait %(wait)s s before "
                    "asking again."
                )
                if is_link
                else gettext(
                    "A code was sent to this address moments ago; wait %(wait)s s before "
                    "asking again."
                )
            )
            % {"wait": wait},
            wait=wait,
        )
    if len(created) >= settings.OTP_HOURLY_CAP:
        wait = int((created[-1] + timedelta(hours=1) - now).total_seconds()) + 1
        raise TooManyRequests(
            (
                gettext(
                    "Too many links were sent to this address in the last hour; try again "
                    "in %(value)s minutes."
                )
                if is_link
                else gettext(
                    "Too many codes were sent to this address in the last hour; try again "
                    "in %(value)s minutes."
                )
            )
            % {"value": wait // 60 + 1},
            wait=wait,
        )


@transaction.atomic
def _challenge_create(*, merchant: Merchant, email: str, kind: str) -> LoginChallenge:
    from customers.tasks import login_challenge_send_task

    email = normalize_email(email)
    _check_send_limits(merchant=merchant, email=email, kind=kind)
    customer = Customer.objects.filter(merchant=merchant, email__iexact=email).first()
    seed = secrets.token_hex(32)
    now = timezone.now()
    if kind == Kind.LINK:
        ttl = settings.MAGIC_LINK_TTL_SECONDS
        secret_fields = {"token_hash": hash_link_token(_link_token(seed))}
    else:
        ttl = settings.OTP_TTL_SECONDS
        code = _otp_code(seed)
        secret_fields = {"otp_hmac": _otp_hmac(merchant_id=merchant.pk, email=email, code=code)}
        # Only the newest code is valid: an older one cannot add to the guesses.
        LoginChallenge.objects.filter(
            merchant=merchant, email=email, kind=Kind.OTP, used_at__isnull=True
        ).update(used_at=now)
    challenge = LoginChallenge.objects.create(
        merchant=merchant,
        email=email,
        customer=customer,
        kind=kind,
        secret_seed=seed,
        expires_at=now + timedelta(seconds=ttl),
        **secret_fields,
    )
    # Known and unknown addresses alike get a row and a queued email (a first sign-in creates
    # the customer), so neither the answer nor its timing tells them apart.
    task_queue_on_commit(login_challenge_send_task, challenge.pk)
    return challenge


def login_link_request(*, merchant: Merchant, email: str) -> LoginChallenge:
    """Create a magic-link challenge for `email` and queue its email after commit.

    Raises `TooManyRequests` within the resend cool-down or past the hourly cap.
    """
    return _challenge_create(merchant=merchant, email=email, kind=Kind.LINK)


def login_otp_request(*, merchant: Merchant, email: str) -> LoginChallenge:
    """Create a one-time-code challenge (the older codes of this email stop working)."""
    return _challenge_create(merchant=merchant, email=email, kind=Kind.OTP)


# --- sending ---------------------------------------------------------------------------------


def login_challenge_send(*, challenge_id: int) -> bool:
    """Email the link or code of a challenge, at most once; True when an email went out.

    `sent_at` is claimed with a conditional UPDATE before sending and released if sending
    fails, so a redelivered or retried task never sends twice after a success. Nothing is sent
    for a challenge already used or expired, or to a disabled customer.
    """
    now = timezone.now()
    claimed = LoginChallenge.objects.filter(
        pk=challenge_id, sent_at__isnull=True, used_at__isnull=True, expires_at__gt=now
    ).update(sent_at=now)
    if not claimed:
        return False
    challenge = LoginChallenge.objects.select_related("merchant", "customer").get(pk=challenge_id)
    customer = challenge.customer
    if customer is not None and not customer.is_active:
        logger.info("Login email to disabled customer %s not sent", customer.pk)
        return False
    secret = login_challenge_secret(challenge)
    ttl_minutes = max(1, round((challenge.expires_at - challenge.created_at).total_seconds() / 60))
    context = {"customer_name": customer.name if customer else "", "ttl_minutes": ttl_minutes}
    if challenge.kind == Kind.LINK:
        template = "customer_magic_link"
        context["link"] = magic_link_url(secret)
    else:
        template = "customer_otp"
        context["code"] = secret
    try:
        send_templated_email(
            to=challenge.email, template=template, context=context, merchant=challenge.merchant
        )
    except Exception:
        # Let a retry send it.
        LoginChallenge.objects.filter(pk=challenge_id).update(sent_at=None)
        raise
    return True


def login_challenge_prune(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete challenges that expired more than `older_than` ago; returns how many."""
    cutoff = timezone.now() - older_than
    deleted, _ = LoginChallenge.objects.filter(expires_at__lt=cutoff).delete()
    return deleted


# --- verification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    customer: Customer
    created: bool


def _sign_in(challenge: LoginChallenge, now) -> LoginResult:
    merchant = challenge.merchant
    if not merchant.is_active:
        raise PermissionDenied(
            gettext("%(name)s is closed for sign-in.") % {"name": merchant.name},
            code="merchant_inactive",
        )
    existing = Customer.objects.filter(merchant=merchant, email__iexact=challenge.email).first()
    customer = existing or customer_get_or_create_by_email(merchant=merchant, email=challenge.email)
    if not customer.is_active:
        raise PermissionDenied(
            gettext("This customer account is disabled; ask the shop."), code="customer_inactive"
        )
    Customer.objects.filter(pk=customer.pk).update(last_login_at=now)
    customer.last_login_at = now
    return LoginResult(customer=customer, created=existing is None)


@transaction.atomic
def login_link_verify(*, token: str, merchant: Merchant | None = None) -> LoginResult:
    """Consume a magic-link token (once) and return the signed-in customer.

    `merchant`, when given, must be the link's merchant. Two racing verifies of one token:
    only one UPDATE matches `used_at IS NULL`, the other gets `InvalidLogin`.
    """
    now = timezone.now()
    matching = LoginChallenge.objects.filter(
        token_hash=hash_link_token(token), kind=Kind.LINK, used_at__isnull=True, expires_at__gt=now
    )
    if merchant is not None:
        matching = matching.filter(merchant=merchant)
    if matching.update(used_at=now) != 1:
        raise InvalidLogin(
            gettext("This sign-in link is invalid, expired or already used; ask for a new one."),
            code="invalid_link",
        )
    challenge = LoginChallenge.objects.select_related("merchant").get(
        token_hash=hash_link_token(token)
    )
    return _sign_in(challenge, now)


def login_link_preview(*, token: str) -> LoginChallenge | None:
    """The still-usable challenge of a link token, without consuming it (for the confirm page)."""
    return (
        LoginChallenge.objects.select_related("merchant")
        .filter(
            token_hash=hash_link_token(token),
            kind=Kind.LINK,
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .first()
    )


def login_otp_verify(*, merchant: Merchant, email: str, code: str) -> LoginResult:
    """Check a code against the newest live code of this email and consume it on a match.

    Every try first takes one attempt with a conditional UPDATE (`attempts < OTP_MAX_ATTEMPTS`),
    so parallel guesses cannot exceed the limit; the last allowed wrong try burns the code.
    """
    email = normalize_email(email)
    now = timezone.now()
    max_attempts = settings.OTP_MAX_ATTEMPTS
    live = LoginChallenge.objects.filter(
        merchant=merchant, email=email, kind=Kind.OTP, used_at__isnull=True, expires_at__gt=now
    )
    challenge = live.order_by("-created_at").first()
    expired = InvalidLogin(
        gettext(
            "There is no valid code for this email (expired, used or too many tries); "
            "ask for a new one."
        ),
        code="invalid_code",
    )
    if challenge is None:
        raise expired
    took_attempt = live.filter(pk=challenge.pk, attempts__lt=max_attempts).update(
        attempts=F("attempts") + 1
    )
    if not took_attempt:
        raise expired
    expected = _otp_hmac(merchant_id=merchant.pk, email=email, code=code.strip())
    if not hmac.compare_digest(expected, challenge.otp_hmac):
        used = LoginChallenge.objects.values_list("attempts", flat=True).get(pk=challenge.pk)
        left = max_attempts - used
        if left <= 0:
            live.filter(pk=challenge.pk).update(used_at=now)
        raise InvalidLogin(
            ngettext("Wrong code; %(left)d try left.", "Wrong code; %(left)d tries left.", left)
            % {"left": left}
            if left > 0
            else gettext("Wrong code; ask for a new one."),
            code="wrong_code",
            details={"tries_left": max(left, 0)},
        )
    with transaction.atomic():
        if live.filter(pk=challenge.pk).update(used_at=now) != 1:
            raise expired
        challenge.merchant = merchant
        return _sign_in(challenge, now)
