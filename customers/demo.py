"""Demo data for the customers app: a few Kopi Kita regulars."""

from customers.models import Customer
from merchants.models import Merchant

CUSTOMERS = [
    ("siti@example.com", "Siti Rahma", "+62 812 1111 2222"),
    ("budi@example.com", "Budi Santoso", "+62 813 3333 4444"),
    ("ayu@example.com", "Ayu Lestari", ""),
]


def seed(stdout) -> None:
    kopi = Merchant.objects.get(slug="kopi-kita")
    for email, name, phone in CUSTOMERS:
        Customer.objects.update_or_create(
            merchant=kopi, email=email, defaults={"name": name, "phone": phone, "is_active": True}
        )
    stdout.write(
        f"  customers: {len(CUSTOMERS)} Kopi Kita customers (sign in as siti@example.com "
        "at /demo/customer-auth)"
    )
