"""Catalog's dashboard panels (`settings.DASHBOARD_PANELS`, see merchants/reports.py). Plain
data: settings read it before Django starts."""

DASHBOARD_PANELS = [
    {
        "name": "low-stock",
        "title": "Low on stock",
        "selector": "catalog.reports.panel_low_stock",
        "type": "table",
        "unit": "count",
        "role": "officer",
        "order": 60,
    },
]
