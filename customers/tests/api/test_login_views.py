import pytest
from django.core import mail
from django.urls import reverse

from customers.models import Customer, LoginChallenge

pytestmark = pytest.mark.django_db
REQUEST_LINK = reverse("api:customer-request-magic-link")
VERIFY_LINK = reverse("api:customer-verify-magic-link")
REQUEST_OTP = reverse("api:customer-request-otp")
VERIFY_OTP = reverse("api:customer-verify-otp")
ME = reverse("api:customer-me")


@pytest.fixture
def post(api_client, django_capture_on_commit_callbacks):
    """POST as an anonymous client and run what is queued on commit (the emails)."""

    def run(url, body, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return api_client.post(url, body, format="json", **extra)

    return run


@pytest.mark.parametrize("url", [REQUEST_LINK, REQUEST_OTP])
def test_known_and_unknown_emails_get_identical_answers(url, post, merchant, customer):
    known = post(url, {"merchant": merchant.slug, "email": customer.email})
    unknown = post(url, {"merchant": merchant.slug, "email": "stranger@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    assert set(known.headers) == set(unknown.headers)
    # The same work either way: a challenge row and an email each.
    assert LoginChallenge.objects.filter(email=customer.email).count() == 1
    assert LoginChallenge.objects.filter(email="stranger@example.com").count() == 1
    assert sorted(m.to[0] for m in mail.outbox) == [customer.email, "stranger@example.com"]
    assert not Customer.objects.filter(email="stranger@example.com").exists()


def test_magic_link_flow(post, merchant, customer, last_link_token, api_client):
    assert (
        post(REQUEST_LINK, {"merchant": merchant.slug, "email": "Siti@Example.com"}).status_code
        == 202
    )
    response = post(VERIFY_LINK, {"token": last_link_token()})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["created"] is False
    assert body["customer"]["email"] == customer.email
    assert body["customer"]["merchant"] == merchant.slug
    assert response["Cache-Control"] == "no-store"
    me = api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert me.status_code == 200
    assert me.json()["id"] == customer.pk
    again = post(VERIFY_LINK, {"token": last_link_token()})
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "invalid_link"


def test_verify_link_with_another_merchant_named_fails(
    post, merchant, other_merchant, customer, last_link_token
):
    post(REQUEST_LINK, {"merchant": merchant.slug, "email": customer.email})
    body = {"token": last_link_token(), "merchant": other_merchant.slug}
    assert post(VERIFY_LINK, body).status_code == 400


def test_otp_flow_creates_a_customer_on_first_sign_in(post, merchant, last_code):
    post(REQUEST_OTP, {"merchant": merchant.slug, "email": "new@example.com"})
    wrong = post(VERIFY_OTP, {"merchant": merchant.slug, "email": "new@example.com", "otp": "0"})
    assert wrong.status_code == 400
    assert wrong.json()["error"]["details"]["otp"]
    code = last_code()
    bad = str((int(code) + 1) % 10**6).zfill(6)
    response = post(VERIFY_OTP, {"merchant": merchant.slug, "email": "new@example.com", "otp": bad})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "wrong_code",
        "message": "Wrong code; 4 tries left.",
        "details": {"tries_left": 4},
    }
    response = post(
        VERIFY_OTP, {"merchant": merchant.slug, "email": "NEW@example.com", "otp": code}
    )
    assert response.status_code == 200, response.content
    assert response.json()["created"] is True
    assert Customer.objects.get(merchant=merchant, email="new@example.com")


def test_merchant_is_required_unless_default(post, merchant, settings):
    settings.DEFAULT_MERCHANT = ""
    response = post(REQUEST_OTP, {"email": "a@example.com"})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "merchant: Name the shop (its slug)."
    response = post(REQUEST_OTP, {"email": "a@example.com", "merchant": "nope"})
    assert response.status_code == 400
    assert "No shop 'nope'" in response.json()["error"]["message"]
    settings.DEFAULT_MERCHANT = merchant.slug
    assert post(REQUEST_OTP, {"email": "a@example.com"}).status_code == 202
    assert LoginChallenge.objects.get().merchant == merchant


def test_resend_cooldown_is_a_429_with_retry_after(post, merchant, settings):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 60
    body = {"merchant": merchant.slug, "email": "a@example.com"}
    assert post(REQUEST_OTP, body).status_code == 202
    response = post(REQUEST_OTP, body)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 61
    assert "wait" in response.json()["error"]["message"]
    assert len(mail.outbox) == 1


def test_throttle_per_email(post, merchant, settings):
    settings.CUSTOMER_AUTH_THROTTLE_EMAIL = "3/hour"
    body = {"merchant": merchant.slug, "email": "a@example.com", "otp": "123456"}
    codes = [post(VERIFY_OTP, body, REMOTE_ADDR=f"10.0.0.{i}").status_code for i in range(4)]
    assert codes == [400, 400, 400, 429]
    # Another address of the same shop is not affected.
    other = {**body, "email": "b@example.com"}
    assert post(VERIFY_OTP, other).status_code == 400


def test_throttle_per_ip(post, merchant, settings):
    settings.CUSTOMER_AUTH_THROTTLE_IP = "2/min"
    codes = [
        post(VERIFY_LINK, {"token": f"nope{i}"}, REMOTE_ADDR="10.0.0.9").status_code
        for i in range(3)
    ]
    assert codes == [400, 400, 429]
    assert post(VERIFY_LINK, {"token": "x"}, REMOTE_ADDR="10.0.0.10").status_code == 400


def test_me_patch_changes_name_and_phone_only(customer_client, customer):
    response = customer_client.patch(
        ME, {"name": "Siti R.", "phone": "+62 811", "email": "hijack@example.com"}, format="json"
    )
    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.name, customer.phone, customer.email) == (
        "Siti R.",
        "+62 811",
        "siti@example.com",
    )


def test_logout_all_revokes_every_token(customer_client, customer, api_client):
    from customers.auth import customer_token_issue

    second = customer_token_issue(customer=customer).token
    assert customer_client.post(reverse("api:customer-logout-all")).status_code == 204
    assert customer_client.get(ME).status_code == 401
    assert api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {second}").status_code == 401


def test_routes_answer_without_trailing_slash(api_client):
    assert REQUEST_OTP.endswith("request-otp") or REQUEST_OTP.endswith("request-otp/")
    base = REQUEST_OTP.rstrip("/")
    assert api_client.post(base, {}, format="json").status_code == 400
    assert api_client.post(base + "/", {}, format="json").status_code == 400
