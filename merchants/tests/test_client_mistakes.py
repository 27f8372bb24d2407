"""Client mistakes are 4xx, never 500: swept over every operation of the OpenAPI schema.

Each operation is called as a signed-in owner with a request
a client might get wrong: an `X-Merchant` that is no id nor slug, a body over
`DATA_UPLOAD_MAX_MEMORY_SIZE`, more files than `DATA_UPLOAD_MAX_NUMBER_FILES`, JSON nested
thousands deep. Whatever the endpoint, the answer is a 4xx (or the operation's own answer when
it reads no body or header), and where the limit is the reason the message names it.
"""

import json
import re

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from merchants.api.authentication import staff_token_create

pytestmark = pytest.mark.django_db

PATH_SAMPLES = {
    "id": "1",
    "line_id": "1",
    "external_id": "TRX-1-20250101093000-3fa9c2d1",
    "token": "a" * 43,
    "name": "revenue-per-day",
    "merchant_slug": "kopi-test",
}
BODY_METHODS = ("post", "put", "patch")


def operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, item in schema["paths"].items():
        url = re.sub(r"{(\w+)}", lambda m: PATH_SAMPLES[m.group(1)], path).rstrip("/")
        found.extend((method, url) for method in item if method in (*BODY_METHODS, "get", "delete"))
    return found


OPERATIONS = operations()


@pytest.fixture
def call(owner):
    client = Client(raise_request_exception=False)

    def send(method, url, **kwargs):
        # A fresh token per call: the sweep also calls the logout, which revokes the one it used.
        kwargs.setdefault("HTTP_AUTHORIZATION", f"Token {staff_token_create(user=owner)}")
        return getattr(client, method)(url, **kwargs)

    return send


def assert_client_mistake(response, method, url):
    assert response.status_code < 500, (method, url, response.status_code, response.content[:300])


def sweep_bodies(call, make_kwargs, *, answered_if) -> set[str]:
    """POST/PUT/PATCH every operation with `make_kwargs()`; never a 5xx. Returns the paths
    whose answer `answered_if(response)` (the ones that read the body and refused it)."""
    answered = set()
    for method, url in OPERATIONS:
        if method not in BODY_METHODS:
            continue
        response = call(method, url, **make_kwargs())
        assert_client_mistake(response, method, url)
        if answered_if(response):
            answered.add(url)
    return answered


def test_the_sweep_covers_the_api():
    assert len(OPERATIONS) > 80
    assert {"/api/v1/staff/invitations", "/api/v1/payments/midtrans/notification"} <= {
        url for _, url in OPERATIONS
    }


@pytest.mark.parametrize("value", ["\xb2", "1\u0660", "9" * 30, "kopi\x00test", "ü-shop"])
def test_an_x_merchant_that_is_no_id_nor_slug_is_a_4xx(call, value):
    for method, url in OPERATIONS:
        response = call(method, url, HTTP_X_MERCHANT=value)
        assert_client_mistake(response, method, url)


def test_a_superscript_digit_in_x_merchant_is_a_403(call):
    response = call("get", "/api/v1/table-locations", HTTP_X_MERCHANT="\xb2")
    assert response.status_code == 403
    assert "X-Merchant" in response.json()["error"]["message"]


def test_a_body_over_the_limit_is_a_413_naming_it(call, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    body = json.dumps({"name": "x" * 4096})

    def names_the_limit(response) -> bool:
        if response.status_code != 413:
            return False
        assert "2048 bytes" in response.json()["error"]["message"]
        return True

    answered = sweep_bodies(
        call,
        lambda: {"data": body, "content_type": "application/json"},
        answered_if=names_the_limit,
    )
    # Every endpoint that reads a body says so (the rest refuse before: 401, 403, 404, 405).
    assert {"/api/v1/table-locations", "/api/v1/staff/invitations"} <= answered
    assert "/api/v1/payments/midtrans/notification" in answered
    assert len(answered) >= 15  # detail routes of a missing id answer 404 first


def test_a_form_body_over_the_limit_is_a_413(call, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    body = "name=" + "x" * 4096
    response = call(
        "post",
        "/api/v1/table-locations",
        data=body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413


def test_too_many_files_is_a_400_naming_the_limit(call, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    answered = sweep_bodies(
        call,
        lambda: {"data": {f"file{i}": _tiny_file(i) for i in range(4)}},
        answered_if=lambda r: r.status_code == 400 and "at most 3" in r.content.decode(),
    )
    assert "/api/v1/table-locations" in answered
    assert len(answered) >= 15  # detail routes of a missing id answer 404 first


def test_too_many_form_fields_is_a_400(call, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    body = "&".join(f"f{i}=1" for i in range(10))
    response = call(
        "post",
        "/api/v1/table-locations",
        data=body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert "at most 5" in response.json()["error"]["message"]


def test_deeply_nested_json_is_a_400(call):
    body = "[" * 50_000 + "]" * 50_000
    answered = sweep_bodies(
        call,
        lambda: {"data": body, "content_type": "application/json"},
        answered_if=lambda r: r.status_code == 400 and "nested too deeply" in r.content.decode(),
    )
    assert "/api/v1/table-locations" in answered
    assert len(answered) >= 15  # detail routes of a missing id answer 404 first


def _tiny_file(index: int):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(f"f{index}.txt", b"x", content_type="text/plain")
