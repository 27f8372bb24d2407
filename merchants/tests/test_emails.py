from email.utils import parseaddr

import pytest
from django.core import mail
from django.template import TemplateDoesNotExist

from merchants.emails import send_templated_email

pytestmark = pytest.mark.django_db


def test_sends_text_and_html_branded_with_the_merchant(merchant, settings):
    settings.DEFAULT_FROM_EMAIL = "Shop <no-reply@pos.example.com>"
    merchant.name = "Kopi & Teh"
    send_templated_email(
        to="ayu@example.com",
        template="customer_otp",
        context={"code": "123456", "ttl_minutes": 5, "customer_name": "Ayu"},
        merchant=merchant,
    )
    [message] = mail.outbox
    assert message.to == ["ayu@example.com"]
    assert message.subject == "123456 is your sign-in code for Kopi & Teh"
    assert parseaddr(message.from_email) == ("Kopi & Teh", "no-reply@pos.example.com")
    assert "Kopi & Teh" in message.body  # plain text is not HTML-escaped
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Kopi &amp; Teh" in html  # the shared layout's header
    assert "123456" in html


def test_without_merchant_uses_the_default_sender(settings):
    settings.DEFAULT_FROM_EMAIL = "POS <no-reply@pos.example.com>"
    send_templated_email(
        to=["a@example.com", "b@example.com"],
        template="customer_magic_link",
        context={"link": "https://x/auth/magic/t/", "ttl_minutes": 15},
    )
    [message] = mail.outbox
    assert message.from_email == "POS <no-reply@pos.example.com>"
    assert message.to == ["a@example.com", "b@example.com"]
    assert "https://x/auth/magic/t/" in message.body


def test_missing_template_fails_loudly():
    with pytest.raises(TemplateDoesNotExist):
        send_templated_email(to="a@example.com", template="nope", context={})
