"""A shopper signs in on the demo page with the code from their email and sees who they are."""

import json
import re

import jwt
from django.conf import settings
from django.core import mail
from playwright.sync_api import expect

from customers.models import Customer


def test_customer_signs_in_with_an_emailed_code(page, demo):
    page.goto("/demo/customer-auth")
    page.select_option("#merchant", "kopi-kita")
    page.fill("#email", "Rina@Example.com")
    with page.expect_response("**/request-otp") as requested:
        page.click("#request-otp")
    assert requested.value.status == 202
    expect(page.locator("#out")).to_contain_text("202 Accepted")

    # Eager Celery in the live server sends through the test's in-memory outbox.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["rina@example.com"]
    code = re.search(r"^\s+(\d{6})\s*$", message.body, re.MULTILINE).group(1)

    page.fill("#otp", code)
    with page.expect_response("**/verify-otp") as verified:
        page.click("#verify-otp")
    assert verified.value.status == 200
    expect(page.locator("#jwt")).to_have_text(re.compile(r"^eyJ[\w-]+\.[\w-]+\.[\w-]+$"))
    token = page.locator("#jwt").inner_text()
    claims = jwt.decode(
        token, settings.CUSTOMER_JWT_SECRET, algorithms=["HS256"], audience="customer-api"
    )
    customer = Customer.objects.get(merchant__slug="kopi-kita", email="rina@example.com")
    assert claims["sub"] == str(customer.pk)

    with page.expect_response("**/api/v1/auth/customer/me") as me:
        page.click("#me")
    assert me.value.status == 200
    # The page shows the answer of /me: the profile, without the token or sign-in fields.
    expect(page.locator("#out")).not_to_contain_text('"token"')
    status, body = page.locator("#out").inner_text().split("\n", 1)
    assert status == "200 OK"
    profile = json.loads(body)
    assert profile["id"] == customer.pk
    assert profile["email"] == "rina@example.com"

    # The same code cannot be used twice.
    with page.expect_response("**/verify-otp") as again:
        page.click("#verify-otp")
    assert again.value.status == 400
