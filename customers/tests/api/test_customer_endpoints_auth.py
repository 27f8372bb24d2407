"""Customer endpoints take only customer tokens; staff endpoints only staff credentials."""

import pytest
from django.urls import reverse

from customers.auth import customer_token_issue
from merchants.api.authentication import staff_token_create

pytestmark = pytest.mark.django_db
ME = reverse("api:customer-me")


def test_staff_session_is_refused_on_customer_endpoints(api_client, officer):
    api_client.force_login(officer)  # a real session cookie, as the admin would set
    assert api_client.get(reverse("api:customer-list")).status_code == 200  # valid for staff
    assert api_client.get(ME).status_code == 401
    assert api_client.post(reverse("api:customer-logout-all")).status_code == 401


def test_staff_token_is_refused_on_customer_endpoints(api_client, officer):
    key = staff_token_create(user=officer)
    response = api_client.get(ME, HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401
    assert "Staff credentials are not accepted" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "url",
    [
        reverse("api:customer-list"),
        reverse("api:table-location-list"),
        reverse("api:merchant-list"),
    ],
)
def test_customer_token_is_refused_on_staff_endpoints(api_client, customer, url):
    token = customer_token_issue(customer=customer).token
    response = api_client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401


def test_customer_principal_never_passes_staff_permissions(rf, customer):
    """Even if a view accepted the customer authenticator, the staff permissions refuse it."""
    from customers.auth import CustomerPrincipal
    from merchants.api.permissions import HasMerchantRole, IsOperator

    request = rf.get("/")
    request.user = CustomerPrincipal(customer, {})
    assert IsOperator().has_permission(request, None) is False
    assert HasMerchantRole().has_permission(request, None) is False
