"""Orders' dashboard panels and links (`settings.DASHBOARD_PANELS` and `DASHBOARD_LINKS`, see
merchants/reports.py). Plain data: settings read it before Django starts."""

from merchants.markers import gettext_noop

DASHBOARD_PANELS = [
    {
        "name": "revenue-per-day",
        "title": gettext_noop("Revenue per day, last 30 days"),
        "selector": "orders.reports.panel_revenue_per_day",
        "type": "line",
        "role": "owner",
        "order": 10,
    },
    {
        "name": "orders-by-status",
        "title": gettext_noop("Today's orders by status"),
        "selector": "orders.reports.panel_orders_by_status_today",
        "type": "bar",
        "unit": "count",
        "role": "officer",
        "order": 20,
    },
    {
        "name": "top-products-revenue",
        "title": gettext_noop("Top 10 products by sales, this week"),
        "selector": "orders.reports.panel_top_products_by_revenue",
        "type": "hbar",
        "role": "owner",
        "order": 40,
    },
    {
        "name": "top-products-quantity",
        "title": gettext_noop("Top 10 products by units, this week"),
        "selector": "orders.reports.panel_top_products_by_quantity",
        "type": "hbar",
        "unit": "count",
        "role": "officer",
        "order": 50,
    },
]

DASHBOARD_LINKS = [
    {
        "title": gettext_noop("End-of-day report"),
        "url_name": "admin:orders_order_daily_report",
        "role": "officer",
    },
]
