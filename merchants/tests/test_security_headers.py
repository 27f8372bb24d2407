"""Content-Security-Policy on every page, HSTS and the HTTPS redirect behind SECURE_SSL."""

import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from photobox.tests.factories import CompletedSessionFactory

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split("; ")}


@pytest.mark.parametrize(
    "path", ["/admin/login/", "/api/v1/", "/api/docs/", "/api/redoc/", "/health/"]
)
def test_every_page_has_a_strict_script_policy(client, path):
    response = client.get(path)
    policy = directives(response)
    assert policy["script-src"][0] == "'self'"
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert not any(source.startswith("'nonce-") for source in policy["script-src"])


def test_the_till_and_a_gallery_get_the_strict_policy(client, officer, merchant):
    """The two pages staff and customers use all day: the till runs its scripts from static
    files and calls the API on this origin; a gallery shows photos from the media store."""
    officer.is_staff = True
    officer.save()
    client.force_login(officer)
    till = client.get("/till/")
    assert till.status_code == 200
    now = timezone.now()
    session = CompletedSessionFactory(
        merchant=merchant, photos_uploaded_at=now, photos_expire_at=now + timedelta(days=14)
    )
    gallery = client.get(reverse("photobox-gallery-page", args=[session.gallery_token]))
    assert gallery.status_code == 200
    for response in (till, gallery):
        policy = directives(response)
        assert policy["script-src"][0] == "'self'"
        assert "'unsafe-inline'" not in policy["script-src"]
        assert "'unsafe-eval'" not in policy["script-src"]
        # Neither page has an inline script, so neither is sent a nonce to allow one.
        assert not any(source.startswith("'nonce-") for source in policy["script-src"])
        assert policy["connect-src"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["object-src"] == ["'none'"]
    assert "https:" in directives(gallery)["img-src"]  # photos from Cloudinary or S3


def test_inline_scripts_carry_the_responses_nonce(client, merchant, settings):
    settings.DEMO_PAGES_ENABLED = True
    response = client.get("/demo/customer-auth")
    assert response.status_code == 200
    [nonce] = re.findall(r'<script nonce="([^"]+)">', response.content.decode())
    assert f"'nonce-{nonce}'" in directives(response)["script-src"]
    # A new nonce for every response.
    again = client.get("/demo/customer-auth")
    assert f"'nonce-{nonce}'" not in directives(again)["script-src"]


def test_the_snap_page_may_load_midtrans_and_no_other_page_may(client, merchant, settings):
    settings.DEMO_PAGES_ENABLED = True
    snap = directives(client.get("/demo/snap-embedded"))
    assert "https://app.sandbox.midtrans.com" in snap["script-src"]
    assert "https://app.midtrans.com" in snap["frame-src"]
    assert "'self'" in snap["frame-src"]
    other = directives(client.get("/demo/customer-auth"))
    assert not any("midtrans" in source for source in other["script-src"])


def test_swagger_ui_needs_no_inline_script(client):
    page = client.get("/api/docs/").content.decode()
    assert "<script>" not in page
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


def test_report_only_mode(client, settings):
    settings.SECURE_CSP, settings.SECURE_CSP_REPORT_ONLY = {}, settings.SECURE_CSP
    response = client.get("/admin/login/")
    assert "Content-Security-Policy" not in response
    assert "script-src 'self'" in response["Content-Security-Policy-Report-Only"]


def test_no_template_of_ours_has_an_inline_handler_or_an_unnonced_inline_script():
    root = Path(django_settings.BASE_DIR) / "templates"
    for template in root.rglob("*.html"):
        if "emails" in template.parts:
            continue  # mail clients, not browsers with our policy
        text = template.read_text()
        assert not re.search(r"\son[a-z]+=\"", text), template
        for tag in re.findall(r"<script[^>]*>", text):
            assert "src=" in tag or "nonce=" in tag or "json" in tag, (template, tag)


# --- HTTPS -----------------------------------------------------------------------------------


def settings_with(env: dict) -> dict:
    code = (
        "import json, config.settings as s; print(json.dumps({k: getattr(s, k) for k in "
        "['SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SESSION_COOKIE_SECURE', "
        "'CSRF_COOKIE_SECURE', 'SECURE_HSTS_INCLUDE_SUBDOMAINS']}))"
    )
    output = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output)


def test_secure_ssl_switches_on_the_redirect_hsts_and_secure_cookies():
    on = settings_with({"SECURE_SSL": "true"})
    assert on["SECURE_SSL_REDIRECT"] is True
    assert on["SECURE_HSTS_SECONDS"] == 31_536_000
    assert on["SESSION_COOKIE_SECURE"] is True
    assert on["CSRF_COOKIE_SECURE"] is True
    off = settings_with({"SECURE_SSL": "false"})
    assert off["SECURE_SSL_REDIRECT"] is False
    assert off["SECURE_HSTS_SECONDS"] == 0


def test_http_redirects_to_https_except_health(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    response = client.get("/admin/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/admin/login/"
    assert client.get("/health/").status_code == 200
    secure = client.get("/admin/login/", secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=31536000"
    behind_proxy = client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https")
    assert behind_proxy.status_code == 200
