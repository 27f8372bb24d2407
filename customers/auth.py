"""Customer JWTs and the DRF pieces every customer endpoint uses.

A customer endpoint (this app's `/me`, the orders app's "my orders" and customer order creation)
declares::

    authentication_classes = [CustomerJWTAuthentication]
    permission_classes = [IsCustomer]
    throttle_classes = [CustomerRateThrottle]

and then reads `request.user.customer` (a `Customer`) and `request.user.merchant`. Only
`Authorization: Bearer <customer jwt>` is accepted there: staff sessions and `Token` keys are
refused, and staff endpoints refuse customer tokens (their principal has
`is_staff_principal = False`, which the staff permission classes check).
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta

import jwt
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.throttling import SimpleRateThrottle

from customers.models import Customer
from merchants.tenancy import MERCHANT_HEADER
from merchants.throttling import CountingThrottleMixin

AUDIENCE = "customer-api"
ALGORITHM = "HS256"
TOKEN_TYPE = "customer_access"  # noqa: S105 - a claim value, not a secret
REQUIRED_CLAIMS = ["iss", "aud", "sub", "merchant", "type", "iat", "exp", "jti", "ver"]


# PyJWT error -> (message, code); the first matching class wins, InvalidTokenError is the base.
_DECODE_ERRORS = [
    (
        jwt.ExpiredSignatureError,
        gettext_lazy("Your sign-in has expired; sign in again."),
        "token_expired",
    ),
    (
        jwt.InvalidAudienceError,
        gettext_lazy("This token is not meant for the customer API."),
        "token_wrong_audience",
    ),
    (
        jwt.InvalidIssuerError,
        gettext_lazy("This token was not issued by this service."),
        "token_invalid",
    ),
    (
        jwt.InvalidTokenError,
        gettext_lazy("This token is malformed or was tampered with; sign in again."),
        "token_invalid",
    ),
]


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int  # seconds


def customer_token_issue(*, customer: Customer) -> IssuedToken:
    """Sign a customer JWT carrying the customer's current token version."""
    now = timezone.now()
    ttl = settings.CUSTOMER_JWT_TTL_SECONDS
    claims = {
        "iss": settings.CUSTOMER_JWT_ISSUER,
        "aud": AUDIENCE,
        "sub": str(customer.pk),
        "merchant": customer.merchant_id,
        "type": TOKEN_TYPE,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
        "jti": uuid.uuid4().hex,
        "ver": customer.token_version,
    }
    token = jwt.encode(claims, settings.CUSTOMER_JWT_SECRET, algorithm=ALGORITHM)
    return IssuedToken(token=token, expires_in=ttl)


def customer_token_decode(token: str) -> dict:
    """Verify signature, issuer, audience and expiry; raise `AuthenticationFailed` otherwise."""
    try:
        claims = jwt.decode(
            token,
            settings.CUSTOMER_JWT_SECRET,
            algorithms=[ALGORITHM],  # fixed: never taken from the token's header
            audience=AUDIENCE,
            issuer=settings.CUSTOMER_JWT_ISSUER,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.MissingRequiredClaimError as error:
        raise exceptions.AuthenticationFailed(
            gettext("This token lacks the '%(claim)s' claim.") % {"claim": error.claim},
            code="token_invalid",
        ) from error
    except jwt.InvalidTokenError as error:
        message, code = next(
            (message, code) for kind, message, code in _DECODE_ERRORS if isinstance(error, kind)
        )
        raise exceptions.AuthenticationFailed(message, code=code) from error
    if claims.get("type") != TOKEN_TYPE:
        raise exceptions.AuthenticationFailed(
            gettext("This is not a customer access token."), code="token_invalid"
        )
    return claims


class CustomerPrincipal:
    """`request.user` on customer endpoints: a signed-in customer, never a staff member."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    is_staff_principal = False  # merchants.api.permissions refuses such principals
    principal_kind = "customer"  # the access log's user kind

    def __init__(self, customer: Customer, claims: dict):
        self.customer = customer
        self.claims = claims

    @property
    def pk(self) -> int:
        return self.customer.pk

    id = pk

    @property
    def merchant(self):
        return self.customer.merchant

    @property
    def merchant_id(self) -> int:
        return self.customer.merchant_id

    def __str__(self) -> str:
        return f"customer {self.customer.pk} of merchant {self.customer.merchant_id}"


class CustomerJWTAuthentication(BaseAuthentication):
    """`Authorization: Bearer <customer jwt>`; use it as the only class on customer endpoints.

    The customer must exist, be active, belong to the token's merchant and still have the
    token's version (a bump revokes every older token). A request that names a merchant in the
    `X-Merchant` header must name the token's merchant.
    """

    keyword = "Bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header:
            return None
        keyword = header[0].decode(errors="replace")
        if keyword.lower() != self.keyword.lower():
            raise exceptions.AuthenticationFailed(
                gettext(
                    "Customer endpoints take a customer token: 'Authorization: Bearer <token>'. "
                    "Staff credentials are not accepted here."
                ),
                code="wrong_credentials",
            )
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                gettext("Send exactly one token after 'Bearer'."), code="token_invalid"
            )
        claims = customer_token_decode(header[1].decode(errors="replace"))
        customer = self._customer(claims)
        named = (request.META.get(MERCHANT_HEADER) or "").strip()
        merchant = customer.merchant
        if named and named not in (str(merchant.pk), merchant.slug):
            raise exceptions.AuthenticationFailed(
                gettext("This token belongs to another merchant; sign in at this shop."),
                code="token_wrong_merchant",
            )
        return CustomerPrincipal(customer, claims), claims

    def _customer(self, claims: dict) -> Customer:
        customer = (
            Customer.objects.select_related("merchant")
            .filter(pk=claims["sub"] if str(claims["sub"]).isdigit() else None)
            .first()
        )
        if customer is None or customer.merchant_id != claims["merchant"]:
            raise exceptions.AuthenticationFailed(
                gettext("This token does not match a customer of this merchant."),
                code="token_invalid",
            )
        if not customer.is_active or not customer.merchant.is_active:
            raise exceptions.AuthenticationFailed(
                gettext("This customer account is disabled."), code="customer_inactive"
            )
        if claims["ver"] != customer.token_version:
            raise exceptions.AuthenticationFailed(
                gettext("This token was revoked (signed out everywhere); sign in again."),
                code="token_revoked",
            )
        return customer

    def authenticate_header(self, request) -> str:
        # Makes unauthenticated requests a 401 (with this challenge) instead of a 403.
        return f'{self.keyword} realm="{AUDIENCE}"'


def is_customer(request) -> bool:
    return isinstance(getattr(request, "user", None), CustomerPrincipal)


class IsCustomer(BasePermission):
    """The request carries a valid customer token."""

    message = gettext_lazy("Sign in as a customer first (Authorization: Bearer <token>).")

    def has_permission(self, request, view) -> bool:
        return is_customer(request)


class CustomerRateThrottle(CountingThrottleMixin, SimpleRateThrottle):
    """Per customer, keyed `cust:<merchant>:<id>` so customer and staff ids never share a bucket.

    Anonymous callers fall back to their address.
    """

    scope = "customer"

    def get_rate(self) -> str:
        return settings.CUSTOMER_THROTTLE

    def get_cache_key(self, request, view) -> str:
        if is_customer(request):
            ident = f"cust:{request.user.merchant_id}:{request.user.pk}"
        else:
            ident = f"anon:{self.get_ident(request)}"
        return f"throttle_{self.scope}_{ident}"


class CustomerJWTScheme(OpenApiAuthenticationExtension):
    """Shows the customer Bearer scheme (and an Authorize button) in the OpenAPI docs."""

    target_class = "customers.auth.CustomerJWTAuthentication"
    name = "customerJWT"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A customer token from verify-magic-link or verify-otp.",
        }
