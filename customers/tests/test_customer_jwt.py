"""The customer JWT: what it carries and every way a bad token is refused (401 + clear message)."""

import time
from datetime import timedelta

import jwt
import pytest
import time_machine
from django.urls import reverse

from customers.auth import AUDIENCE, customer_token_decode, customer_token_issue
from customers.services import customer_revoke_tokens
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
ME = reverse("api:customer-me")


def claims_of(customer, settings, **changes):
    now = int(time.time())
    claims = {
        "iss": settings.CUSTOMER_JWT_ISSUER,
        "aud": AUDIENCE,
        "sub": str(customer.pk),
        "merchant": customer.merchant_id,
        "type": "customer_access",
        "iat": now,
        "exp": now + 600,
        "jti": "abc",
        "ver": customer.token_version,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def sign(claims, key) -> str:
    return jwt.encode(claims, key, algorithm="HS256")


def get_me(api_client, token, **headers):
    return api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {token}", **headers)


def assert_401(response, code, words):
    assert response.status_code == 401, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert words in error["message"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_issued_token_claims(customer, settings):
    settings.CUSTOMER_JWT_TTL_SECONDS = 3600
    issued = customer_token_issue(customer=customer)
    header = jwt.get_unverified_header(issued.token)
    assert header["alg"] == "HS256"
    claims = customer_token_decode(issued.token)
    assert claims["sub"] == str(customer.pk)
    assert claims["merchant"] == customer.merchant_id
    assert claims["aud"] == "customer-api"
    assert claims["iss"] == settings.CUSTOMER_JWT_ISSUER
    assert claims["ver"] == customer.token_version
    assert claims["exp"] - claims["iat"] == 3600
    assert issued.expires_in == 3600
    assert len(claims["jti"]) == 32
    # Signed with its own secret, not SECRET_KEY.
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(issued.token, settings.SECRET_KEY, algorithms=["HS256"], audience=AUDIENCE)


def test_valid_token_reads_me(api_client, customer):
    response = get_me(api_client, customer_token_issue(customer=customer).token)
    assert response.status_code == 200
    assert response.json()["email"] == customer.email


def test_default_lifetime_is_seven_days(api_client, customer):
    token = customer_token_issue(customer=customer).token
    with time_machine.travel(timedelta(days=7) - timedelta(seconds=5)):
        assert get_me(api_client, token).status_code == 200
    with time_machine.travel(timedelta(days=7, seconds=5)):
        assert_401(get_me(api_client, token), "token_expired", "expired")


def test_tampered_payload_is_refused(api_client, customer, merchant):
    other = CustomerFactory(merchant=merchant)
    token = customer_token_issue(customer=customer).token
    header, _, signature = token.split(".")
    forged_payload = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(token.split(".")[1])
        .decode()
        .replace(f'"sub":"{customer.pk}"', f'"sub":"{other.pk}"')
        .encode()
    ).decode()
    assert forged_payload != token.split(".")[1]
    assert_401(
        get_me(api_client, f"{header}.{forged_payload}.{signature}"), "token_invalid", "tampered"
    )


def test_token_signed_with_another_key_is_refused(api_client, customer, settings):
    token = sign(claims_of(customer, settings), "someone-elses-key-of-decent-length-32b")
    assert_401(get_me(api_client, token), "token_invalid", "tampered")


def test_unsigned_token_is_refused(api_client, customer, settings):
    token = jwt.encode(claims_of(customer, settings), None, algorithm="none")
    assert_401(get_me(api_client, token), "token_invalid", "tampered")


def test_wrong_audience_is_refused(api_client, customer, settings):
    token = sign(claims_of(customer, settings, aud="staff-api"), settings.CUSTOMER_JWT_SECRET)
    assert_401(get_me(api_client, token), "token_wrong_audience", "not meant for")


def test_wrong_issuer_is_refused(api_client, customer, settings):
    token = sign(claims_of(customer, settings, iss="elsewhere"), settings.CUSTOMER_JWT_SECRET)
    assert_401(get_me(api_client, token), "token_invalid", "not issued by")


def test_missing_version_claim_is_refused(api_client, customer, settings):
    token = sign(claims_of(customer, settings, ver=None), settings.CUSTOMER_JWT_SECRET)
    assert_401(get_me(api_client, token), "token_invalid", "'ver'")


def test_revoked_version_is_refused(api_client, customer):
    token = customer_token_issue(customer=customer).token
    assert get_me(api_client, token).status_code == 200
    customer_revoke_tokens(customer=customer)
    assert_401(get_me(api_client, token), "token_revoked", "revoked")
    assert get_me(api_client, customer_token_issue(customer=customer).token).status_code == 200


def test_disabled_customer_is_refused(api_client, customer):
    token = customer_token_issue(customer=customer).token
    customer.is_active = False
    customer.save()
    assert_401(get_me(api_client, token), "customer_inactive", "disabled")


def test_token_of_merchant_a_on_merchant_b(api_client, customer, other_merchant, settings):
    token = customer_token_issue(customer=customer).token
    # Naming another shop with a valid token of this one.
    response = get_me(api_client, token, HTTP_X_MERCHANT=other_merchant.slug)
    assert_401(response, "token_wrong_merchant", "another merchant")
    assert get_me(api_client, token, HTTP_X_MERCHANT=customer.merchant.slug).status_code == 200
    # A correctly signed token whose merchant claim points at B for A's customer.
    forged = sign(
        claims_of(customer, settings, merchant=other_merchant.pk), settings.CUSTOMER_JWT_SECRET
    )
    assert_401(get_me(api_client, forged), "token_invalid", "does not match")


def test_unknown_customer_is_refused(api_client, customer, settings):
    token = sign(claims_of(customer, settings, sub="999999"), settings.CUSTOMER_JWT_SECRET)
    assert_401(get_me(api_client, token), "token_invalid", "does not match")


def test_garbage_and_missing_tokens(api_client):
    assert_401(get_me(api_client, "not-a-jwt"), "token_invalid", "malformed")
    response = api_client.get(ME)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="customer-api"'
