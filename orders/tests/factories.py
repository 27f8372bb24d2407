from decimal import Decimal

import factory
from django.utils import timezone

from merchants.tests.factories import MerchantFactory
from orders.models import Order, OrderEvent, OrderItem


class OrderFactory(factory.django.DjangoModelFactory):
    """An order row as stored (for reads and the tenancy matrix); behaviour tests use the API."""

    class Meta:
        model = Order

    merchant = factory.SubFactory(MerchantFactory)
    number = factory.Sequence(lambda n: f"INV-20261122-{n + 1:04d}")
    business_date = factory.LazyFunction(lambda: timezone.localdate())
    subtotal_amount = Decimal(25000)
    total_amount = Decimal(25000)
    rounded_amount = Decimal(25000)


class OrderItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderItem

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(
        "catalog.tests.factories.ProductFactory", merchant=factory.SelfAttribute("..order.merchant")
    )
    product_name = factory.SelfAttribute("product.name")
    product_type = "goods"
    base_price = Decimal(25000)
    final_price = Decimal(25000)
    quantity = 1
    line_subtotal_amount = Decimal(25000)


class OrderEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderEvent

    order = factory.SubFactory(OrderFactory)
    kind = OrderEvent.Kind.STATUS
    from_status = Order.Status.PENDING
    to_status = Order.Status.CONFIRMED
    actor_label = "system"
