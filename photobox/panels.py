"""Photobox's dashboard panels (`settings.DASHBOARD_PANELS`, see merchants/reports.py). Plain
data: settings read it before Django starts."""

from merchants.markers import gettext_noop

# A photobox merchant sells kiosk sessions, not orders: its dashboard shows its kiosks instead
# of the counter's panels (orders, products, stock, payment mix) and the end-of-day report.
DEDICATED_BUSINESS_TYPES = ["photobox"]

DASHBOARD_PANELS = [
    {
        "name": "photobox-takings-per-day",
        "title": gettext_noop("Kiosk takings per day, last 30 days"),
        "selector": "photobox.reports.panel_takings_per_day",
        "type": "line",
        "role": "owner",
        "order": 70,
        "business_types": ["photobox"],
    },
    {
        "name": "photobox-sessions",
        "title": gettext_noop("Photobox sessions per location, last 30 days"),
        "selector": "photobox.reports.panel_sessions_per_location",
        "type": "bar",
        "unit": "count",
        "role": "officer",
        "order": 80,
        "business_types": ["photobox"],
        "stacked": True,
        # completed, expired, failed, pending (photobox.reports.OUTCOMES)
        "colors": ["#7cb342", "#b0bec5", "#e57373", "#f5a623"],
    },
    {
        "name": "photobox-takings",
        "title": gettext_noop("Kiosk takings per location, last 30 days"),
        "selector": "photobox.reports.panel_takings_per_location",
        "type": "hbar",
        "role": "owner",
        "order": 90,
        "business_types": ["photobox"],
    },
]
