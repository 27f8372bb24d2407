"""Demo data for the merchants app: the operator, two merchants, their staff and tables; and
the switch every app's demo pages (`/demo/...`) obey."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from merchants.models import Membership, Merchant, TableLocation
from merchants.services import membership_grant

DEMO_PASSWORD = "demo12345"  # noqa: S105 - documented demo credential


def require_demo_pages() -> None:
    """Call first in a demo page's view: a 404 unless `DEMO_PAGES_ENABLED`."""
    if not settings.DEMO_PAGES_ENABLED:
        raise Http404("Demo pages are switched off (DEMO_PAGES_ENABLED).")


# Who signs in where with the demo data (all with DEMO_PASSWORD), as the landing page lists them.
DEMO_LOGINS = [
    ("admin", _("platform operator: every merchant")),
    ("owner", _("owner of Kopi Kita (café)")),
    ("cashier", _("cashier at Kopi Kita: the till and the API")),
    ("owner2", _("owner of Foto Ceria (photobox)")),
]

# The demo data's café: its customers (siti@example.com) have the orders the demo pages show.
DEMO_CUSTOMER_MERCHANT = "kopi-kita"


def demo_merchant(slug: str | None = None) -> Merchant | None:
    """The merchant a demo page preselects: the one asked for (`?merchant=`), else
    DEFAULT_MERCHANT, else the demo data's café (whose customers have orders), else the first
    active merchant by name."""
    merchants = Merchant.objects.filter(is_active=True)
    for candidate in (slug, settings.DEFAULT_MERCHANT, DEMO_CUSTOMER_MERCHANT):
        # A slug from the address bar may hold anything; PostgreSQL cannot compare a NUL byte.
        if candidate and candidate.isprintable():
            found = merchants.filter(slug=candidate).first()
            if found is not None:
                return found
    return merchants.order_by("name").first()


def _user(username: str, *, superuser: bool = False, email: str = ""):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"email": email or f"{username}@example.com", "is_staff": True},
    )
    if created or not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
    user.is_staff = True
    user.is_superuser = superuser
    user.save()
    return user


def seed(stdout) -> None:
    _user("admin", superuser=True)
    kopi, _ = Merchant.objects.update_or_create(
        slug="kopi-kita",
        defaults={
            "name": "Kopi Kita",
            "business_type": Merchant.BusinessType.FNB,
            "pos_mode": Merchant.PosMode.HYBRID,
            # What the till prints at the top and the bottom of a receipt.
            "address": "Jl. Kemang Raya No. 12\nJakarta Selatan 12730",
            "phone": "021-555-0101",
            "tax_id": "01.234.567.8-901.000",
            "receipt_footer": "Terima kasih!\nWi-Fi: kopikita / 12345678",
        },
    )
    foto, _ = Merchant.objects.update_or_create(
        slug="foto-ceria",
        defaults={"name": "Foto Ceria", "business_type": Merchant.BusinessType.PHOTOBOX},
    )
    membership_grant(user=_user("owner"), merchant=kopi, role=Membership.Role.OWNER)
    membership_grant(user=_user("cashier"), merchant=kopi, role=Membership.Role.OFFICER)
    membership_grant(user=_user("owner2"), merchant=foto, role=Membership.Role.OWNER)
    tables = [
        ("A1", "Window", 2, "indoor"),
        ("A2", "", 4, "indoor"),
        ("A3", "Sofa", 6, "indoor"),
        ("T1", "Garden", 4, "terrace"),
        ("T2", "", 4, "terrace"),
    ]
    for number, name, capacity, zone in tables:
        TableLocation.objects.update_or_create(
            merchant=kopi,
            number=number,
            defaults={"name": name, "capacity": capacity, "zone": zone},
        )
    stdout.write("  merchants: admin, owner, cashier, owner2; Kopi Kita and Foto Ceria; 5 tables")
