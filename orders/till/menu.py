"""What the till page starts with, read once per page load (a handful of queries whatever the
size of the menu): categories, products with their modifier groups, tables, payment methods."""

from catalog.selectors import product_menu_modifier_groups, public_category_list
from catalog.selectors import public_product_list as till_product_list
from merchants.models import Membership, Merchant, TableLocation
from merchants.money import cash_step, money_format, money_str
from orders.till.printing import till_money
from payments.models import PaymentMethod


def till_menu(*, merchant: Merchant, role: int) -> dict:
    """The page's data as JSON-ready values (rendered with `json_script`, never inline JS)."""
    products = list(till_product_list(merchant=merchant).order_by("sort_order", "name"))
    groups = product_menu_modifier_groups(products)
    currency = merchant.currency
    return {
        "merchant": {
            "slug": merchant.slug,
            "name": merchant.name,
            "currency": currency,
            "money": money_format(currency),  # in the reader's language, for the script
        },
        "cash_step": money_str(cash_step(currency)),
        "example_money": till_money(0, currency),
        "is_owner": role >= Membership.Role.OWNER,
        "max_discount_percent": money_str(merchant.officer_max_discount_percent),
        "categories": [
            {"id": category.pk, "name": category.name}
            for category in public_category_list(merchant=merchant).order_by("sort_order", "name")
        ],
        "products": [
            {
                "id": product.pk,
                "name": product.name,
                "category_id": product.category_id,
                "price": money_str(product.base_price),
                "sku": product.sku or "",
                "barcode": product.barcode or "",
                "groups": [
                    {
                        "id": group.pk,
                        "name": group.name,
                        "min": group.min_select,
                        "max": group.max_select,
                        "options": [
                            {"id": o.pk, "name": o.name, "delta": money_str(o.price_delta)}
                            for o in group.menu_options
                        ],
                    }
                    for group in groups.get(product.pk, [])
                ],
            }
            for product in products
        ],
        "tables": [
            {"id": table.pk, "number": table.number}
            for table in TableLocation.objects.filter(merchant=merchant, is_active=True).order_by(
                "number"
            )
        ],
        "payment_methods": [
            {"id": method.pk, "name": method.name, "kind": method.kind}
            for method in PaymentMethod.objects.filter(merchant=merchant, is_active=True).order_by(
                "sort_order", "pk"
            )
        ],
    }
