import io

import pytest
from django.core.management import call_command

from customers.models import Customer

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_kopi_kita_customers_idempotently():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    emails = set(
        Customer.objects.filter(merchant__slug="kopi-kita").values_list("email", flat=True)
    )
    assert {"siti@example.com", "budi@example.com", "ayu@example.com"} <= emails
    assert Customer.objects.count() == 3
