"""An order's answer built from planned rows (merchants/api/rows.py) is the bytes DRF gives,
with every kind of field an order has: customer, table, lines with modifiers, a staff
discount, payments and events."""

from decimal import Decimal as D

import pytest
from django.utils import translation
from rest_framework.renderers import JSONRenderer

from catalog.tests.factories import (
    ModifierGroupFactory,
    ModifierOptionFactory,
    ProductFactory,
    ProductModifierGroupFactory,
)
from merchants.api import rows
from merchants.tests.factories import TableLocationFactory
from orders.api.serializers import OrderDetailSerializer, OrderSerializer
from orders.selectors import order_detail_get
from orders.tests.paying import act, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def rich_order(officer_client, owner_client, merchant):
    latte = ProductFactory(merchant=merchant, name="Iced Latte", base_price=D("28000.50"))
    size = ModifierGroupFactory(merchant=merchant, name="Size", min_select=1, max_select=1)
    large = ModifierOptionFactory(group=size, name="Large", price_delta=D(5000))
    ProductModifierGroupFactory(product=latte, group=size)
    cake = ProductFactory(merchant=merchant, name="Cake", track_stock=True, stock=5)
    table = TableLocationFactory(merchant=merchant, number="B2")
    order = place(
        officer_client,
        (cake, 2),
        order_type="dine_in",
        table_id=table.pk,
        customer_email="budi@example.com",
        customer_name="Budi",
        notes="window seat",
    )
    added = act(
        officer_client,
        order,
        "lines",
        {"lines": [{"product_id": latte.pk, "qty": 1, "modifier_option_ids": [large.pk]}]},
    )
    assert added.status_code == 200, added.content
    discount = act(
        owner_client, order, "discount", {"kind": "percent", "value": "10", "reason": "Regular"}
    )
    assert discount.status_code == 200, discount.content
    paid = act(officer_client, order, "pay-cash", {"amount_paid": "200000"})
    assert paid.status_code in (200, 201), paid.content
    return order_detail_get(pk=order.pk)


def drf_bytes(serializer) -> bytes:
    return JSONRenderer().render(serializer.data)


@pytest.mark.parametrize("language", ["en", "id"])
def test_an_order_answer_is_what_drf_gives(rich_order, language):
    with translation.override(language):
        planned = JSONRenderer().render(rows.fast_one(OrderDetailSerializer(), rich_order))
        assert planned == drf_bytes(OrderDetailSerializer(rich_order))
    answer = OrderDetailSerializer(rich_order).data
    assert answer["staff_discount"]["reason"] == "Regular"
    assert answer["items"][1]["modifiers"][0]["name"] == "Large"
    assert answer["payments"]
    assert answer["events"]
    assert answer["customer"]["name"] == "Budi"


def test_a_list_of_orders_is_what_drf_gives(rich_order, monkeypatch):
    planned = drf_bytes(OrderSerializer([rich_order], many=True))
    with monkeypatch.context() as patch:
        patch.setattr(rows, "_plans_by_class", lambda serializer: False)  # fields as DRF binds
        unplanned = drf_bytes(OrderSerializer([rich_order], many=True))
    assert planned == unplanned
    assert drf_bytes(OrderSerializer(rich_order)) == planned[1:-1]


def test_a_plan_is_worked_out_once_per_class_and_language(rich_order):
    rows._RECIPES.clear()
    rows.fast_one(OrderDetailSerializer(), rich_order)
    planned = set(rows._RECIPES)
    rows.fast_one(OrderDetailSerializer(), rich_order)
    assert set(rows._RECIPES) == planned
    assert {language for _, language in planned} == {translation.get_language()}
    assert OrderDetailSerializer in {cls for cls, _ in planned}


def test_a_serializer_whose_fields_changed_is_planned_from_them(rich_order):
    serializer = OrderDetailSerializer()
    serializer.fields.pop("events")
    assert "events" not in rows.fast_one(serializer, rich_order)
