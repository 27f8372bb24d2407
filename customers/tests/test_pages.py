from urllib.parse import unquote, urlsplit

import pytest
from django.test import Client

from customers import services
from customers.auth import customer_token_decode
from customers.models import LoginChallenge

pytestmark = pytest.mark.django_db


@pytest.fixture
def link_token(merchant, customer, django_capture_on_commit_callbacks, last_link_token):
    with django_capture_on_commit_callbacks(execute=True):
        services.login_link_request(merchant=merchant, email=customer.email)
    return last_link_token()


def test_get_shows_a_button_and_does_not_consume(client, link_token, merchant):
    for _ in range(3):  # mail scanners may fetch the link several times
        response = client.get(f"/auth/magic/{link_token}/")
        assert response.status_code == 200
        assert b"Sign in to Kopi Test" in response.content
        assert b'method="post"' in response.content
        assert response["Referrer-Policy"] == "same-origin"
        assert "no-store" in response["Cache-Control"]
    assert LoginChallenge.objects.get().used_at is None


def test_post_consumes_and_hands_the_jwt_to_the_app_in_a_fragment(link_token, customer, settings):
    settings.APP_URL = "https://shop.example.com"
    client = Client(enforce_csrf_checks=True)
    page = client.get(f"/auth/magic/{link_token}")  # also without the trailing slash
    csrf = page.cookies["csrftoken"].value
    response = client.post(f"/auth/magic/{link_token}/", {"csrfmiddlewaretoken": csrf})
    assert response.status_code == 303
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        "https://shop.example.com/auth/callback"
    )
    assert location.query == ""  # the token is never in the part servers log
    assert location.fragment.startswith("token=")
    claims = customer_token_decode(unquote(location.fragment.removeprefix("token=")))
    assert claims["sub"] == str(customer.pk)
    assert response["Referrer-Policy"] == "same-origin"

    again = client.post(f"/auth/magic/{link_token}/", {"csrfmiddlewaretoken": csrf})
    assert again.status_code == 400
    assert b"cannot be used" in again.content


def test_unknown_token_page(client):
    response = client.get("/auth/magic/not-a-real-token/")
    assert response.status_code == 400
    assert b"invalid, expired or already used" in response.content


def test_demo_page_only_when_enabled(client, settings, merchant):
    settings.DEMO_PAGES_ENABLED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    response = client.get("/demo/customer-auth")
    assert response.status_code == 200
    assert b"/api/v1/auth/customer/" in response.content
    assert b"server console" in response.content
    assert b'value="kopi-test"' in response.content
    assert b"<script src=" not in response.content  # no CDN, works offline
    callback = client.get("/auth/callback")
    assert callback.status_code == 302
    assert callback["Location"] == "/demo/customer-auth"

    settings.DEMO_PAGES_ENABLED = False
    assert client.get("/demo/customer-auth").status_code == 404
    assert client.get("/auth/callback").status_code == 404
