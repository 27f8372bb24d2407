from decimal import Decimal

import pytest

from catalog.tests.factories import ProductFactory, PromotionFactory
from customers.auth import customer_token_issue
from customers.tests.factories import CustomerFactory


@pytest.fixture
def nasi_goreng(merchant):
    """The worked example: 25000, 10% off, tax 10%, service 5%."""
    product = ProductFactory(
        merchant=merchant,
        name="Nasi Goreng",
        base_price=Decimal(25000),
        tax_percent=Decimal(10),
        service_charge_percent=Decimal(5),
    )
    PromotionFactory(merchant=merchant, value=Decimal(10), products=[product])
    return product


@pytest.fixture
def kopi(merchant):
    return ProductFactory(merchant=merchant, name="Kopi", base_price=Decimal(18000))


@pytest.fixture
def croissant(merchant):
    """Tracked stock: 5 left."""
    return ProductFactory(
        merchant=merchant, name="Croissant", base_price=Decimal(22000), track_stock=True, stock=5
    )


@pytest.fixture
def customer(merchant):
    return CustomerFactory(merchant=merchant, email="ani@example.com", name="Ani")


@pytest.fixture
def customer_client(customer):
    from rest_framework.test import APIClient

    client = APIClient()
    token = customer_token_issue(customer=customer).token
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def lines(*pairs):
    return [{"product_id": product.pk, "qty": qty} for product, qty in pairs]


# Gateway stubs and a merchant with sandbox keys, shared with the payments app's tests.
from orders.tests.paying import worked_example  # noqa: E402, F401
from payments.tests.conftest import gw, pay_merchant  # noqa: E402, F401
