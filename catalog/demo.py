"""Demo menu for Kopi Kita: categories, a dozen products, stock on a few, one promotion, and
modifier groups (size, sugar, extra shot) on the drinks."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext

from catalog.models import ModifierGroup, Product, ProductCategory, Promotion
from catalog.services import modifier_group_save, product_set_modifier_groups, promotion_save
from merchants.models import Merchant

CATEGORIES = [("Coffee", 10), ("Non-coffee", 20), ("Food", 30), ("Snacks", 40), ("Beans", 50)]

# name, category, price, sku, barcode, stock (None: not tracked)
PRODUCTS = [
    ("Espresso", "Coffee", 18000, "KK-ESP", None, None),
    ("Kopi Susu Gula Aren", "Coffee", 22000, "KK-KSGA", None, None),
    ("Cappuccino", "Coffee", 28000, "KK-CAP", None, None),
    ("Americano", "Coffee", 24000, "KK-AME", None, None),
    ("Matcha Latte", "Non-coffee", 30000, "KK-MAT", None, None),
    ("Es Teh Manis", "Non-coffee", 10000, "KK-ETM", None, None),
    ("Nasi Goreng", "Food", 25000, "KK-NASGOR", None, None),
    ("Mie Goreng", "Food", 23000, "KK-MIEGOR", None, None),
    ("Roti Bakar Cokelat", "Food", 18000, "KK-ROTI", None, 20),
    ("Pisang Goreng", "Snacks", 15000, "KK-PISGOR", None, 30),
    ("Croissant", "Snacks", 20000, "KK-CROIS", "8991234500017", 12),
    ("Kopi Kita House Blend 250 g", "Beans", 85000, "KK-BEANS-250", "8991234500024", 4),
]


# name, min, max, [(option, price delta)]
MODIFIER_GROUPS = [
    ("Size", 1, 1, [("Regular", 0), ("Large", 5000)]),
    ("Sugar", 0, 1, [("Normal sugar", 0), ("Less sugar", 0), ("No sugar", 0)]),
    ("Extra shot", 0, 2, [("Espresso shot", 6000), ("Oat milk", 7000)]),
]
# product → its groups, in order
PRODUCT_GROUPS = {
    "Kopi Susu Gula Aren": ["Size", "Sugar", "Extra shot"],
    "Cappuccino": ["Size", "Sugar", "Extra shot"],
    "Americano": ["Extra shot"],
    "Matcha Latte": ["Size", "Sugar"],
    "Es Teh Manis": ["Sugar"],
}


def seed_modifiers(kopi: Merchant, products: dict[str, Product]) -> None:
    groups = {}
    for index, (name, low, high, options) in enumerate(MODIFIER_GROUPS):
        groups[name] = modifier_group_save(
            merchant=kopi,
            group=ModifierGroup.objects.filter(merchant=kopi, name=name).first(),
            options=[
                {"name": option, "price_delta": Decimal(delta), "is_active": True}
                | _kept_id(kopi, name, option)
                for option, delta in options
            ],
            name=name,
            min_select=low,
            max_select=high,
            sort_order=index,
            is_active=True,
        )
    for product, names in PRODUCT_GROUPS.items():
        product_set_modifier_groups(
            product=products[product], groups=[groups[name] for name in names]
        )


def _kept_id(kopi: Merchant, group: str, option: str) -> dict:
    # Reseeding keeps each option's id, so order lines keep pointing at the same options.
    from catalog.models import ModifierOption

    kept = ModifierOption.objects.filter(
        group__merchant=kopi, group__name=group, name=option
    ).first()
    return {"id": kept.pk} if kept else {}


def seed(stdout) -> None:
    kopi = Merchant.objects.get(slug="kopi-kita")
    categories = {}
    for name, order in CATEGORIES:
        categories[name], _ = ProductCategory.objects.update_or_create(
            merchant=kopi, name=name, defaults={"sort_order": order, "is_active": True}
        )
    products = {}
    for index, (name, category, price, sku, barcode, stock) in enumerate(PRODUCTS):
        food = category in ("Food", "Snacks")
        products[name], _ = Product.objects.update_or_create(
            merchant=kopi,
            sku=sku,
            defaults={
                "name": name,
                "category": categories[category],
                "product_type": Product.Type.GOODS,
                "base_price": Decimal(price),
                "barcode": barcode,
                "tax_percent": Decimal(10) if food else Decimal(0),
                "service_charge_percent": Decimal(5) if food else Decimal(0),
                "track_stock": stock is not None,
                "stock": stock or 0,
                "low_stock_threshold": 5 if stock is not None else None,
                "is_available": True,
                "is_active": True,
                "sort_order": index,
            },
        )
    seed_modifiers(kopi, products)
    now = timezone.now()
    promotion = Promotion.objects.filter(merchant=kopi, name="Nasi Goreng Week").first()
    promotion_save(
        merchant=kopi,
        promotion=promotion,
        products=[products["Nasi Goreng"]],
        name="Nasi Goreng Week",
        description=gettext("10% off our Nasi Goreng."),
        discount_type=Promotion.DiscountType.PERCENT,
        value=Decimal(10),
        # Running whenever the demo is (re)seeded.
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=30),
        is_active=True,
    )
    stdout.write(
        f"  catalog: {len(CATEGORIES)} categories, {len(PRODUCTS)} products at Kopi Kita, "
        f"10% off Nasi Goreng, {len(MODIFIER_GROUPS)} modifier groups on the drinks"
    )
