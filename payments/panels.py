"""Payments' dashboard panels (`settings.DASHBOARD_PANELS`, see merchants/reports.py). Plain
data: settings read it before Django starts."""

from merchants.markers import gettext_noop

DASHBOARD_PANELS = [
    {
        "name": "payment-methods",
        "title": gettext_noop("Payment methods, last 30 days"),
        "selector": "payments.reports.panel_payment_methods",
        "type": "doughnut",
        "role": "owner",
        "order": 30,
    },
]
