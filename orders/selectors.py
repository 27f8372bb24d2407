"""Reads for orders."""

from django.db.models import Prefetch, QuerySet

from orders.models import Order, OrderEvent, OrderItem


def order_queryset(*, with_events: bool = False) -> QuerySet[Order]:
    """Orders with what the API shows, in a constant number of queries."""
    queryset = Order.objects.select_related("customer", "table", "created_by").prefetch_related(
        Prefetch("items", queryset=OrderItem.objects.order_by("pk"))
    )
    if with_events:
        queryset = queryset.prefetch_related(
            Prefetch(
                "events",
                queryset=OrderEvent.objects.select_related(None).order_by("created_at", "pk"),
            )
        )
    return queryset
