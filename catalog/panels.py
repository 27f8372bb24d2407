"""Catalog's dashboard panels (`settings.DASHBOARD_PANELS`, see merchants/reports.py). Plain
data: settings read it before Django starts."""

from merchants.markers import gettext_noop

DASHBOARD_PANELS = [
    {
        "name": "low-stock",
        "title": gettext_noop("Low on stock"),
        "selector": "catalog.reports.panel_low_stock",
        "type": "table",
        "unit": "count",
        "role": "officer",
        "order": 60,
    },
]
