"""Kiosk figures for the dashboard: sessions per location by outcome, and the money they took.

**Takings.** A session's money counts when the session is `COMPLETED` (paid while it was open)
and not flagged `reversed` (its payment was turned back by the gateway afterwards). It counts
on its `business_date`, the merchant's local date of the sale, and brings in its `amount` less
what its payments refunded (`payments.Payment` rows of kind "photo_session", subtracted on the
day of the sale, as order refunds are). Money that arrived after a session ended (`paid_late`)
is not takings: the session stays EXPIRED or FAILED and the money is owed back to the customer.

**Outcomes.** Completed, expired, failed and pending, as a reader sees them now: a PENDING
session past its expiry is expired, before the beat has marked it so.
"""

from datetime import date, datetime

from django.db.models import Count, F, FilteredRelation, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils.translation import gettext, gettext_lazy

from merchants.models import Merchant
from merchants.reports import (
    ZERO,
    Dataset,
    PanelData,
    each_day,
    last_local_days,
    money,
    money_sum,
)
from payments.reports import refunded_of_reference
from photobox.models import KioskLocation, PhotoSession
from photobox.services import REFERENCE_KIND

Status = PhotoSession.Status
Issue = PhotoSession.PaymentIssue
PHOTOBOX_DAYS = 30
COUNTS_AS_TAKINGS = Q(status=Status.COMPLETED) & ~Q(payment_issue=Issue.REVERSED)
# The outcomes in the order the chart stacks them (their colours: the panel's settings entry).
OUTCOMES = (
    ("completed", gettext_lazy("Completed")),
    ("expired", gettext_lazy("Expired unpaid")),
    ("failed", gettext_lazy("Payment failed")),
    ("pending", gettext_lazy("Waiting for payment")),
)


def _period(merchant: Merchant, now: datetime) -> tuple[date, date]:
    """The last 30 local days, today included."""
    return last_local_days(merchant, PHOTOBOX_DAYS, now)


def session_refunds() -> Coalesce:
    """Per session: what its payments refunded (an expression for annotate / Sum)."""
    return refunded_of_reference(reference_kind=REFERENCE_KIND, reference_pk="external_id")


def takings_sessions(*, merchant: Merchant, first: date, last: date) -> QuerySet[PhotoSession]:
    """The merchant's sessions whose money counts, sold on local days `first`..`last`."""
    return PhotoSession.objects.filter(
        COUNTS_AS_TAKINGS, merchant=merchant, business_date__range=(first, last)
    )


def takings_aggregates() -> dict:
    """What a group of counted sessions took, as aggregate expressions (net = gross − refunds)."""
    return {"gross": money_sum("amount"), "refunds": money_sum(session_refunds())}


def location_labels(rows: list[dict]) -> list[str]:
    """Each location by its name, with its machine code when two share a name."""
    names = [row["name"] for row in rows]
    return [
        f"{row['name']} ({row['machine_code']})" if names.count(row["name"]) > 1 else row["name"]
        for row in rows
    ]


def sessions_by_location(
    *, merchant: Merchant, first: date, last: date, now: datetime
) -> list[dict]:
    """Per kiosk location: sessions sold on local days `first`..`last` by outcome, in one
    query. Active locations appear even with no sessions (a kiosk that sells nothing is news);
    switched-off ones only when they sold something in the period."""
    outcome = {
        "completed": Q(recent__status=Status.COMPLETED),
        "expired": Q(recent__status=Status.EXPIRED)
        | Q(recent__status=Status.PENDING, recent__expires_at__lte=now),
        "failed": Q(recent__status=Status.FAILED),
        "pending": Q(recent__status=Status.PENDING, recent__expires_at__gt=now),
    }
    return list(
        KioskLocation.objects.filter(merchant=merchant)
        .annotate(
            recent=FilteredRelation(
                "sessions",
                # The merchant too, so the database can read the period off its
                # (merchant, business_date) index.
                condition=Q(
                    sessions__merchant=merchant,
                    sessions__business_date__gte=first,
                    sessions__business_date__lte=last,
                ),
            )
        )
        .annotate(
            total=Count("recent"),
            **{name: Count("recent", filter=condition) for name, condition in outcome.items()},
        )
        .filter(Q(is_active=True) | Q(total__gt=0))
        .order_by("machine_code")
        .values("pk", "machine_code", "name", "total", *outcome)
    )


# --- dashboard panels ----------------------------------------------------------------------


def panel_sessions_per_location(*, merchant: Merchant, now: datetime) -> PanelData:
    """Sessions per kiosk location by outcome, the last 30 local days (one query)."""
    first, last = _period(merchant, now)
    rows = sessions_by_location(merchant=merchant, first=first, last=last, now=now)
    return PanelData(
        period_from=first,
        period_to=last,
        labels=location_labels(rows),
        datasets=[Dataset(str(label), [str(row[key]) for row in rows]) for key, label in OUTCOMES],
        note="" if rows else gettext("No kiosk locations yet."),
    )


def panel_takings_per_location(*, merchant: Merchant, now: datetime) -> PanelData:
    """Money taken by completed sessions per kiosk location, net of refunds, the last 30 local
    days; the best location first (one query)."""
    first, last = _period(merchant, now)
    rows = sorted(
        takings_sessions(merchant=merchant, first=first, last=last)
        .order_by()
        .values("location_id", machine_code=F("location__machine_code"), name=F("location__name"))
        .annotate(**takings_aggregates()),
        key=lambda row: (row["refunds"] - row["gross"], row["machine_code"]),
    )
    return PanelData(
        period_from=first,
        period_to=last,
        labels=location_labels(rows),
        datasets=[
            Dataset(
                gettext("Takings, net of refunds"),
                [money(r["gross"] - r["refunds"]) for r in rows],
            )
        ],
    )


def panel_takings_per_day(*, merchant: Merchant, now: datetime) -> PanelData:
    """Money taken by completed sessions per local day of the sale, net of refunds, the last
    30 days; every day present (one query)."""
    first, last = _period(merchant, now)
    rows = (
        takings_sessions(merchant=merchant, first=first, last=last)
        .order_by()
        .values("business_date")
        .annotate(**takings_aggregates())
    )
    net = {row["business_date"]: row["gross"] - row["refunds"] for row in rows}
    days = each_day(first, last)
    return PanelData(
        period_from=first,
        period_to=last,
        labels=[day.isoformat() for day in days],
        datasets=[Dataset(gettext("Kiosk takings"), [money(net.get(day, ZERO)) for day in days])],
    )
