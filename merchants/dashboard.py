"""The admin index as a dashboard: the panels of `settings.DASHBOARD_PANELS` for one merchant
(served as the admin site's index, merchants/admin_site.py).

Owners and officers see their own merchant; someone with several merchants, and the operator
(who sees them all), picks one with `?merchant=<slug>`, remembered in the session. The page
only lays the panels out (those meant for the merchant's business type, see
`merchants.reports`): each panel's figures come from its JSON endpoint
(`/api/v1/reports/panels/<name>`, sent the merchant in `X-Merchant`), drawn with Chart.js from
our own static files.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.urls import reverse
from django.utils.translation import gettext

from merchants.models import Membership, Merchant
from merchants.money import money_format
from merchants.reports import dashboard_links, panels_for_role
from merchants.tenancy import roles_by_merchant

Role = Membership.Role
SESSION_KEY = "dashboard_merchant"
MERCHANT_PARAM = "merchant"


@dataclass(frozen=True)
class AdminTenant:
    """Which merchant an admin page shows, and the viewer's role there (operator: owner)."""

    merchant: Merchant | None
    role: int
    choices: list[Merchant]
    is_operator: bool

    @property
    def can_choose(self) -> bool:
        return self.is_operator or len(self.choices) > 1

    def has_role(self, role: int) -> bool:
        return self.merchant is not None and (self.is_operator or self.role >= role)


def admin_tenant(request) -> AdminTenant:
    """The merchant the admin pages are about: named by `?merchant=` (then remembered), else
    the one remembered, else the user's only merchant."""
    user = request.user
    is_operator = bool(user.is_superuser)
    roles = {} if is_operator else roles_by_merchant(user)
    choices = list(
        Merchant.objects.order_by("name")
        if is_operator
        else Merchant.objects.filter(pk__in=roles.keys()).order_by("name")
    )
    by_slug = {merchant.slug: merchant for merchant in choices}
    wanted = request.GET.get(MERCHANT_PARAM, "").strip()
    if wanted:
        if wanted in by_slug:
            request.session[SESSION_KEY] = wanted
        else:
            messages.warning(
                request,
                gettext("You have no access to a merchant '%(wanted)s'.") % {"wanted": wanted},
            )
    merchant = by_slug.get(request.session.get(SESSION_KEY, ""))
    if merchant is None and len(choices) == 1:
        merchant = choices[0]
    role = Role.OWNER if is_operator else roles.get(merchant.pk, 0) if merchant else 0
    return AdminTenant(merchant=merchant, role=role, choices=choices, is_operator=is_operator)


def dashboard_script_data(merchant: Merchant) -> dict:
    """What the dashboard's script needs in the reader's language (it has no catalogue): how
    money is written (merchants.money.money_format) and the words it shows."""
    return {
        "money": money_format(merchant.currency),
        "strings": {
            "empty_table": gettext("Nothing to report."),
            "empty_chart": gettext("No sales yet."),
            "failed": gettext("Could not load: %(reason)s"),
        },
    }


def dashboard_context(request) -> dict:
    tenant = admin_tenant(request)
    merchant = tenant.merchant
    if merchant is None:
        panels, links = [], []
    else:
        panels = panels_for_role(tenant.role, merchant.business_type)
        links = dashboard_links(tenant.role, merchant.business_type)
    return {
        "tenant": tenant,
        "merchant": merchant,
        "script_data": dashboard_script_data(merchant) if merchant else None,
        "panels": [
            {
                "name": panel.name,
                "title": gettext(panel.title),  # marked in each app's panels.py
                "type": panel.type,
                "unit": panel.unit,
                "stacked": panel.stacked,
                "colors": ",".join(panel.colors),
                "url": reverse("api:report-panel", kwargs={"name": panel.name}),
            }
            for panel in panels
        ],
        "links": [{"title": gettext(link.title), "url": reverse(link.url_name)} for link in links],
    }
