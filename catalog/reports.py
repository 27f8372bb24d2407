"""The catalog's dashboard panel: products at or below their low-stock threshold."""

from datetime import datetime

from catalog.selectors import product_list_low_stock
from merchants.models import Merchant
from merchants.reports import PanelData, local_today

LOW_STOCK_ROWS = 50


def panel_low_stock(*, merchant: Merchant, now: datetime) -> PanelData:
    """Up to 50 products running out, emptiest first (one query)."""
    products = list(product_list_low_stock(merchant=merchant)[: LOW_STOCK_ROWS + 1])
    today = local_today(merchant, now)
    more = len(products) > LOW_STOCK_ROWS
    return PanelData(
        period_from=today,
        period_to=today,
        columns=[
            {"key": "name", "label": "Product"},
            {"key": "sku", "label": "SKU"},
            {"key": "stock", "label": "In stock"},
            {"key": "threshold", "label": "Threshold"},
        ],
        rows=[
            {
                "id": product.pk,
                "name": product.name,
                "sku": product.sku or "",
                "stock": product.stock,
                "threshold": product.low_stock_threshold,
            }
            for product in products[:LOW_STOCK_ROWS]
        ],
        note=f"Only the first {LOW_STOCK_ROWS} are listed." if more else "",
    )
