"""The catalog's dashboard panel: products at or below their low-stock threshold."""

from datetime import datetime

from django.utils.translation import gettext

from catalog.selectors import days_of_stock_left, product_list_low_stock, product_sold_per_day
from merchants.models import Merchant
from merchants.reports import PanelData, local_today

LOW_STOCK_ROWS = 50


def panel_low_stock(*, merchant: Merchant, now: datetime) -> PanelData:
    """Up to 50 products running out, emptiest first, with what they sold per day over the
    last week (from the stock ledger) and how many days that lasts (two queries)."""
    products = list(product_list_low_stock(merchant=merchant)[: LOW_STOCK_ROWS + 1])
    today = local_today(merchant, now)
    more = len(products) > LOW_STOCK_ROWS
    products = products[:LOW_STOCK_ROWS]
    pace = product_sold_per_day(merchant=merchant, product_ids=[p.pk for p in products], now=now)
    return PanelData(
        period_from=today,
        period_to=today,
        columns=[
            {"key": "name", "label": gettext("Product")},
            {"key": "sku", "label": gettext("SKU")},
            {"key": "stock", "label": gettext("In stock")},
            {"key": "threshold", "label": gettext("Threshold")},
            {"key": "sold_per_day", "label": gettext("Sold / day (7 days)")},
            {"key": "days_left", "label": gettext("Days left")},
        ],
        rows=[
            {
                "id": product.pk,
                "name": product.name,
                "sku": product.sku or "",
                "stock": product.stock,
                "threshold": product.low_stock_threshold,
                "sold_per_day": str(pace.get(product.pk, 0)),
                "days_left": _days(days_of_stock_left(product.stock, pace.get(product.pk))),
            }
            for product in products
        ],
        note=gettext("Only the first %(count)d are listed.") % {"count": LOW_STOCK_ROWS}
        if more
        else "",
    )


def _days(value) -> str:
    return "—" if value is None else str(value)
