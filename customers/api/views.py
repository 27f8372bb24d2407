import hashlib

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from customers import services
from customers.api.serializers import (
    CustomerMeSerializer,
    CustomerSerializer,
    CustomerTokenSerializer,
    EmailRequestSerializer,
    LoginRequestedSerializer,
    VerifyLinkSerializer,
    VerifyOtpSerializer,
)
from customers.auth import (
    CustomerJWTAuthentication,
    CustomerRateThrottle,
    IsCustomer,
    customer_token_issue,
)
from customers.filters import CustomerFilterSet
from customers.models import Customer
from merchants.api.base import MerchantScopedViewSet
from merchants.api.permissions import Role

# --- staff -----------------------------------------------------------------------------------


class CustomerViewSet(MerchantScopedViewSet):
    """Customers of the merchant: officers read and write, owners delete."""

    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilterSet
    search_fields = ["name", "email", "phone"]
    ordering_fields = ["email", "name", "created_at", "last_login_at"]
    ordering = ["email"]
    read_role = Role.OFFICER
    write_role = Role.OFFICER
    action_roles = {"destroy": Role.OWNER}

    @extend_schema(request=None, responses={200: CustomerSerializer})
    @action(detail=True, methods=["post"], url_path="revoke-tokens")
    def revoke_tokens(self, request, pk=None):
        """Sign the customer out on every device (all their tokens stop working)."""
        customer = services.customer_revoke_tokens(customer=self.get_object())
        return Response(self.get_serializer(customer).data)


# --- customer sign-in ------------------------------------------------------------------------


class _RateFromSettings(SimpleRateThrottle):
    rate_setting = ""

    def get_rate(self) -> str:
        return getattr(settings, self.rate_setting)


class CustomerAuthIPThrottle(_RateFromSettings):
    """Login endpoints, per client address."""

    scope = "customer_auth_ip"
    rate_setting = "CUSTOMER_AUTH_THROTTLE_IP"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class CustomerAuthEmailThrottle(_RateFromSettings):
    """Login endpoints, per merchant and email, whichever address they come from."""

    scope = "customer_auth_email"
    rate_setting = "CUSTOMER_AUTH_THROTTLE_EMAIL"

    def get_cache_key(self, request, view) -> str | None:
        data = request.data if isinstance(request.data, dict) else {}
        email = services.normalize_email(str(data.get("email", "")))
        if not email:
            return None
        merchant = str(data.get("merchant") or settings.DEFAULT_MERCHANT)
        ident = hashlib.sha256(f"{merchant}:{email}".encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


class _PublicAuthView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [CustomerAuthIPThrottle, CustomerAuthEmailThrottle]

    def _validated(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


def _sign_in_response(result: services.LoginResult) -> Response:
    issued = customer_token_issue(customer=result.customer)
    body = {
        "token": issued.token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "created": result.created,
        "customer": CustomerMeSerializer(result.customer).data,
    }
    response = Response(body, status=status.HTTP_200_OK)
    response["Cache-Control"] = "no-store"
    return response


_REQUEST_RESPONSES = {
    202: LoginRequestedSerializer,
    400: OpenApiResponse(description="Invalid email or unknown shop."),
    429: OpenApiResponse(description="Cool-down, hourly cap or throttle; see Retry-After."),
}
_VERIFY_RESPONSES = {
    200: CustomerTokenSerializer,
    400: OpenApiResponse(description="Invalid, expired or used link or code."),
    403: OpenApiResponse(description="The customer account is disabled."),
    429: OpenApiResponse(description="Throttled; see Retry-After."),
}


class _ChallengeRequestView(_PublicAuthView):
    """Creates a challenge and answers 202 with one body, known email or not."""

    def request_challenge(self, *, merchant, email) -> None:
        raise NotImplementedError

    def accepted_message(self) -> str:
        raise NotImplementedError

    @extend_schema(request=EmailRequestSerializer, responses=_REQUEST_RESPONSES, auth=[])
    def post(self, request):
        data = self._validated(EmailRequestSerializer)
        try:
            self.request_challenge(merchant=data["merchant"], email=data["email"])
        except services.TooManyRequests as error:
            # DRF's Throttled adds the Retry-After header.
            raise Throttled(wait=error.wait, detail=error.message) from error
        return Response({"detail": self.accepted_message()}, status=status.HTTP_202_ACCEPTED)


class RequestMagicLinkView(_ChallengeRequestView):
    """Email a sign-in link. Same answer whether or not the email is a customer."""

    def request_challenge(self, *, merchant, email) -> None:
        services.login_link_request(merchant=merchant, email=email)

    def accepted_message(self) -> str:
        minutes = settings.MAGIC_LINK_TTL_SECONDS // 60
        return (
            "If this address can receive email, a sign-in link is on its way. "
            f"It works once, for {minutes} minutes."
        )


class VerifyMagicLinkView(_PublicAuthView):
    """Exchange a magic-link token for a customer token (the link is then used up)."""

    @extend_schema(request=VerifyLinkSerializer, responses=_VERIFY_RESPONSES, auth=[])
    def post(self, request):
        data = self._validated(VerifyLinkSerializer)
        result = services.login_link_verify(token=data["token"], merchant=data.get("merchant"))
        return _sign_in_response(result)


class RequestOtpView(_ChallengeRequestView):
    """Email a one-time code. Same answer whether or not the email is a customer."""

    def request_challenge(self, *, merchant, email) -> None:
        services.login_otp_request(merchant=merchant, email=email)

    def accepted_message(self) -> str:
        minutes = settings.OTP_TTL_SECONDS // 60
        return (
            f"If this address can receive email, a {settings.OTP_LENGTH}-digit code is on its "
            f"way. It is valid for {minutes} minutes."
        )


class VerifyOtpView(_PublicAuthView):
    """Exchange an emailed code for a customer token."""

    @extend_schema(request=VerifyOtpSerializer, responses=_VERIFY_RESPONSES, auth=[])
    def post(self, request):
        data = self._validated(VerifyOtpSerializer)
        result = services.login_otp_verify(
            merchant=data["merchant"], email=data["email"], code=data["otp"]
        )
        return _sign_in_response(result)


# --- signed-in customer ----------------------------------------------------------------------


class CustomerEndpointMixin:
    """Customer token only: staff sessions and staff tokens are refused."""

    authentication_classes = [CustomerJWTAuthentication]
    permission_classes = [IsCustomer]
    throttle_classes = [CustomerRateThrottle]


class MeView(CustomerEndpointMixin, APIView):
    """The signed-in customer's profile; name and phone can be changed."""

    @extend_schema(responses={200: CustomerMeSerializer})
    def get(self, request):
        return Response(CustomerMeSerializer(request.user.customer).data)

    @extend_schema(request=CustomerMeSerializer, responses={200: CustomerMeSerializer})
    def patch(self, request):
        serializer = CustomerMeSerializer(request.user.customer, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        customer = services.customer_update(
            customer=request.user.customer, **serializer.validated_data
        )
        return Response(CustomerMeSerializer(customer).data)


class LogoutAllView(CustomerEndpointMixin, APIView):
    """Sign out everywhere: this token and every other one of the customer stop working."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        services.customer_revoke_tokens(customer=request.user.customer)
        return Response(status=status.HTTP_204_NO_CONTENT)
