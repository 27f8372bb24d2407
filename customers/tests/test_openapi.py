import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_customer_bearer_scheme_is_documented(schema):
    scheme = schema["components"]["securitySchemes"]["customerJWT"]
    assert scheme == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A customer token from verify-magic-link or verify-otp.",
    }


def test_customer_endpoints_use_only_the_customer_scheme(schema):
    paths = schema["paths"]
    assert paths["/api/v1/auth/customer/me/"]["get"]["security"] == [{"customerJWT": []}]
    assert paths["/api/v1/auth/customer/logout-all/"]["post"]["security"] == [{"customerJWT": []}]
    for name in ("request-magic-link", "verify-magic-link", "request-otp", "verify-otp"):
        operation = paths[f"/api/v1/auth/customer/{name}/"]["post"]
        assert operation.get("security", []) in ([], [{}]), name
    staff = paths["/api/v1/customers/"]["get"]["security"]
    assert {"customerJWT": []} not in staff
