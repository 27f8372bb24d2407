"""What every report and dashboard panel shares: the merchant's calendar, the shape of panel
data, and the registry of dashboard panels.

Days are the merchant's local days (`Merchant.time_zone`, Asia/Jakarta by default): a sale at
23:30 in Jakarta belongs to that day, one at 00:30 to the next, whatever the server's zone.

Each app lists its panels in its `panels.py`, which settings gather into
`settings.DASHBOARD_PANELS`:

    DASHBOARD_PANELS = [{
        "name": "revenue-per-day",                 # the URL: /api/v1/reports/panels/revenue-per-day
        "title": "Revenue, last 30 days",
        "selector": "orders.reports.panel_revenue_per_day",  # (*, merchant, now) -> PanelData
        "type": "line",                            # line | bar | hbar | doughnut | table
        "role": "owner",                           # who may see it: owner | officer
        "order": 10,                               # position on the dashboard, lower first
    }]

Optional keys: "unit" (money | count), "stacked" (bar charts: the datasets stack, e.g. sessions
by outcome), "colors" (one CSS colour per dataset, in order) and "business_types" (only the
dashboards of merchants of those `Merchant.BusinessType`s lay the panel out). A merchant whose
type is in `settings.DASHBOARD_DEDICATED_BUSINESS_TYPES` (a photobox, which sells no orders)
sees only the panels and links naming its type; every other merchant sees those naming no type
or its own. The panel endpoint answers for any merchant: the type decides the layout only.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import DecimalField, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from merchants.errors import NotFound
from merchants.models import Membership, Merchant
from merchants.money import STORED_PLACES, money_str

Role = Membership.Role
PANEL_TYPES = ("line", "bar", "hbar", "doughnut", "table")
PANEL_UNITS = ("money", "count")
ROLES = {"owner": Role.OWNER, "officer": Role.OFFICER}
ZERO = Decimal(0)
# The output field of money sums in aggregate queries.
MONEY = DecimalField(max_digits=16, decimal_places=STORED_PLACES)


def money_sum(expression) -> Coalesce:
    """Σ `expression` as money: 0, not NULL, over no rows."""
    return Coalesce(Sum(expression), ZERO, output_field=MONEY)


# --- the merchant's calendar ---------------------------------------------------------------


def local_now(merchant: Merchant, now: datetime | None = None) -> datetime:
    return timezone.localtime(now or timezone.now(), merchant.tzinfo)


def local_today(merchant: Merchant, now: datetime | None = None) -> date:
    return local_now(merchant, now).date()


def last_local_days(
    merchant: Merchant, days: int, now: datetime | None = None
) -> tuple[date, date]:
    """The first and last of the merchant's `days` local days up to today, today included."""
    last = local_today(merchant, now)
    return last - timedelta(days=days - 1), last


def local_day_start(merchant: Merchant, day: date) -> datetime:
    """The aware moment the merchant's local `day` begins."""
    return datetime.combine(day, time.min, tzinfo=merchant.tzinfo)


def local_moments(merchant: Merchant, first: date, last: date) -> tuple[datetime, datetime]:
    """[start of `first`, start of the day after `last`) in the merchant's zone: filter moments
    with `__gte` the first and `__lt` the second."""
    return local_day_start(merchant, first), local_day_start(merchant, last + timedelta(days=1))


def week_start(day: date) -> date:
    """Weeks start on Monday (ISO 8601, as the database's week truncation does)."""
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    return day.replace(day=1)


def each_day(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def money(value) -> str:
    """A money amount as the API writes it: a decimal string with two places, never a float."""
    return money_str(value)


# --- what a panel answers ------------------------------------------------------------------


@dataclass
class Dataset:
    label: str
    data: list[str]


@dataclass
class PanelData:
    """A chart (`labels` + `datasets`, values as decimal strings) or a table (`columns` +
    `rows`), for the period it covers."""

    period_from: date | None = None
    period_to: date | None = None
    labels: list[str] = field(default_factory=list)
    datasets: list[Dataset] = field(default_factory=list)
    columns: list[dict] = field(default_factory=list)  # [{"key": ..., "label": ...}]
    rows: list[dict] = field(default_factory=list)
    note: str = ""

    @property
    def is_empty(self) -> bool:
        if self.columns:
            return not self.rows
        return not any(Decimal(value) for dataset in self.datasets for value in dataset.data)


# --- the registry --------------------------------------------------------------------------


def shown_to_business_type(business_types: tuple[str, ...], business_type: str | None) -> bool:
    """Does a panel or link naming `business_types` belong on this merchant's dashboard?
    (No business type given: every panel, as the API's panel list shows them.)"""
    if business_type is None:
        return True
    if business_types:
        return business_type in business_types
    return business_type not in getattr(settings, "DASHBOARD_DEDICATED_BUSINESS_TYPES", [])


def business_types_of(entry: dict, what: str) -> tuple[str, ...]:
    types = entry.get("business_types", ())
    if not isinstance(types, list | tuple) or not set(types) <= set(Merchant.BusinessType.values):
        raise ImproperlyConfigured(
            f"{what}: business_types must be a list of {Merchant.BusinessType.values}."
        )
    return tuple(types)


@dataclass(frozen=True)
class Panel:
    name: str
    title: str
    selector: str
    type: str
    role: int
    order: int = 100
    unit: str = "money"
    description: str = ""
    business_types: tuple[str, ...] = ()  # empty: every merchant not of a dedicated type
    stacked: bool = False
    colors: tuple[str, ...] = ()

    def compute(self, *, merchant: Merchant, now: datetime | None = None) -> PanelData:
        selector: Callable[..., PanelData] = import_string(self.selector)
        return selector(merchant=merchant, now=now or timezone.now())


def _panel(entry: dict) -> Panel:
    entry = dict(entry)
    name = entry.get("name", "?")
    role = entry.pop("role", "owner")
    if role not in ROLES:
        raise ImproperlyConfigured(f"Dashboard panel {name}: role must be one of {list(ROLES)}.")
    if "business_types" in entry:
        entry["business_types"] = business_types_of(entry, f"Dashboard panel {name}")
    if "colors" in entry:
        entry["colors"] = tuple(entry["colors"])
    try:
        panel = Panel(role=ROLES[role], **entry)
    except TypeError as error:
        raise ImproperlyConfigured(f"Dashboard panel {name}: {error}") from error
    if panel.type not in PANEL_TYPES:
        raise ImproperlyConfigured(f"Dashboard panel {name}: type must be one of {PANEL_TYPES}.")
    if panel.unit not in PANEL_UNITS:
        raise ImproperlyConfigured(f"Dashboard panel {name}: unit must be one of {PANEL_UNITS}.")
    return panel


def dashboard_panels() -> list[Panel]:
    """Every panel in `settings.DASHBOARD_PANELS`, in dashboard order."""
    panels = [_panel(entry) for entry in getattr(settings, "DASHBOARD_PANELS", [])]
    names = [panel.name for panel in panels]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ImproperlyConfigured(f"Dashboard panels named twice: {', '.join(duplicates)}.")
    return sorted(panels, key=lambda panel: (panel.order, panel.name))


def panels_for_role(role: int, business_type: str | None = None) -> list[Panel]:
    """The panels `role` may read; with `business_type`, those laid out on the dashboard of a
    merchant of that type."""
    return [
        panel
        for panel in dashboard_panels()
        if role >= panel.role and shown_to_business_type(panel.business_types, business_type)
    ]


@dataclass(frozen=True)
class DashboardLink:
    title: str
    url_name: str  # an admin URL name, e.g. "admin:orders_order_daily_report"
    role: int
    business_types: tuple[str, ...] = ()


def dashboard_link(entry: dict) -> DashboardLink:
    """One `settings.DASHBOARD_LINKS` entry, checked (`ImproperlyConfigured` otherwise)."""
    entry = dict(entry)
    what = f"Dashboard link {entry.get('title', '?')}"
    role = entry.pop("role", "owner")
    if role not in ROLES:
        raise ImproperlyConfigured(f"{what}: role must be one of {list(ROLES)}.")
    entry["business_types"] = business_types_of(entry, what)
    try:
        return DashboardLink(role=ROLES[role], **entry)
    except TypeError as error:
        raise ImproperlyConfigured(f"{what}: {error}") from error


def dashboard_links(role: int, business_type: str | None = None) -> list[DashboardLink]:
    """Links an app puts on the dashboard (`settings.DASHBOARD_LINKS`) that `role` may follow
    (on the dashboard of a merchant of `business_type`, when given)."""
    links = [dashboard_link(entry) for entry in getattr(settings, "DASHBOARD_LINKS", [])]
    return [
        link
        for link in links
        if role >= link.role and shown_to_business_type(link.business_types, business_type)
    ]


def panel_get(name: str) -> Panel:
    for panel in dashboard_panels():
        if panel.name == name:
            return panel
    raise NotFound(gettext("There is no dashboard panel '%(name)s'.") % {"name": name})
