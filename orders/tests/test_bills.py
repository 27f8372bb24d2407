"""Open bills: lines added and voided, moves, splits and staff discounts, priced again each
time, with stock given back once and an event for each change."""

from decimal import Decimal

import pytest
import responses

from merchants.tests.factories import TableLocationFactory
from orders.models import Order, OrderEvent, OrderItem
from orders.tests.conftest import lines
from orders.tests.paying import act, place, start_snap
from payments.models import PaymentMethod
from payments.tests.factories import PaymentMethodFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders"
D = Decimal


@pytest.fixture
def table(merchant):
    return TableLocationFactory(merchant=merchant, number="3")


@pytest.fixture
def bill(officer_client, table, kopi, croissant):
    """Table 3: 2 × Kopi (18000) and 1 × Croissant (22000, stock 5 → 4): 58000."""
    order = place(
        officer_client, (kopi, 2), (croissant, 1), order_type="dine_in", table_id=table.pk
    )
    assert order.total_amount == D(58000)
    return order


def line_of(order, product):
    return OrderItem.objects.get(order=order, product=product)


def kinds(order):
    return list(order.events.values_list("kind", flat=True))


def test_a_second_round_is_added_to_the_tables_bill(officer_client, bill, table, kopi, croissant):
    found = officer_client.get(URL, {"status": "pending", "table": table.pk}).json()["results"]
    assert [row["id"] for row in found] == [bill.pk]
    response = act(officer_client, bill, "lines", {"lines": lines((croissant, 2), (kopi, 1))})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["total_amount"] == "120000.00"  # 58000 + 44000 + 18000
    assert body["amount_due"] == "120000.00"
    assert len(body["items"]) == 4
    croissant.refresh_from_db()
    assert croissant.stock == 2
    event = bill.events.get(kind=OrderEvent.Kind.LINES_ADDED)
    assert [line["product"] for line in event.payload["lines"]] == ["Croissant", "Kopi"]


def test_a_tables_bill_is_found_by_the_number_written_on_it(officer_client, merchant, kopi):
    """`table` is the table's id, `table_number` what is written on the table. One table's
    number is the other's id, so a filter that mixed the two would find the wrong bill."""
    terrace = TableLocationFactory(merchant=merchant, number="T1")
    by_the_door = TableLocationFactory(merchant=merchant, number=str(terrace.pk))
    assert by_the_door.pk != terrace.pk
    at_terrace = place(officer_client, (kopi, 1), order_type="dine_in", table_id=terrace.pk)
    at_door = place(officer_client, (kopi, 1), order_type="dine_in", table_id=by_the_door.pk)

    def found(**params):
        response = officer_client.get(URL, {"status": "pending", **params})
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert found(table=terrace.pk) == [at_terrace.pk]
    assert found(table_number=str(terrace.pk)) == [at_door.pk]
    assert found(table_number="t1") == [at_terrace.pk]  # as staff type it
    assert found(table_number="99") == []
    # PostgreSQL cannot compare a NUL byte: refused before the query, not a 500.
    assert officer_client.get(URL, {"table_number": "3\x00"}).status_code == 400


def test_adding_beyond_stock_is_409_and_adds_nothing(officer_client, bill, croissant):
    response = act(officer_client, bill, "lines", {"lines": lines((croissant, 5))})
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "Not enough stock for Croissant: 4 left, 5 asked."
    assert OrderItem.objects.filter(order=bill).count() == 2
    croissant.refresh_from_db()
    assert croissant.stock == 4


def test_lines_are_added_only_to_an_open_unpaid_bill(officer_client, bill, kopi):
    act(officer_client, bill, "pay-cash", {"amount_paid": "60000"})
    response = act(officer_client, bill, "lines", {"lines": lines((kopi, 1))})
    assert response.status_code == 409
    assert "already paid" in response.json()["error"]["message"]
    other = place(officer_client, (kopi, 1))
    act(officer_client, other, "cancel")
    assert act(officer_client, other, "lines", {"lines": lines((kopi, 1))}).status_code == 409


def test_a_line_added_to_a_bill_without_tracked_stock_is_given_back_on_cancel(
    officer_client, kopi, croissant
):
    order = place(officer_client, (kopi, 1))
    assert not order.stock_reserved
    act(officer_client, order, "lines", {"lines": lines((croissant, 2))})
    croissant.refresh_from_db()
    assert croissant.stock == 3
    act(officer_client, order, "cancel")
    croissant.refresh_from_db()
    assert croissant.stock == 5


def test_voiding_a_line_gives_its_stock_back_once(officer_client, bill, croissant):
    line = line_of(bill, croissant)
    url = f"lines/{line.pk}/void"
    response = act(officer_client, bill, url, {"reason": "Dropped on the floor"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["total_amount"] == "36000.00"
    assert [item["product_name"] for item in body["items"]] == ["Kopi"]
    croissant.refresh_from_db()
    assert croissant.stock == 5
    line = OrderItem.all_lines.get(pk=line.pk)
    assert (line.voided_by, line.void_reason, line.reserved_quantity) == (
        "off",
        "Dropped on the floor",
        0,
    )
    # Voided already: not a line of the bill any more; cancelling does not give it back again.
    assert act(officer_client, bill, url, {"reason": "again"}).status_code == 404
    act(officer_client, bill, "cancel")
    croissant.refresh_from_db()
    assert croissant.stock == 5
    event = bill.events.get(kind=OrderEvent.Kind.LINE_VOIDED)
    assert event.payload["stock_returned"] == {str(croissant.pk): 1}
    assert event.actor_label == "off"


def test_void_needs_a_reason_and_keeps_the_last_line(officer_client, bill, kopi, croissant):
    line = line_of(bill, kopi)
    assert act(officer_client, bill, f"lines/{line.pk}/void", {}).status_code == 400
    act(officer_client, bill, f"lines/{line_of(bill, croissant).pk}/void", {"reason": "x"})
    response = act(officer_client, bill, f"lines/{line.pk}/void", {"reason": "x"})
    assert response.status_code == 409
    assert "cancel the order instead" in response.json()["error"]["message"]


def test_officers_void_before_confirmation_owners_always(
    officer_client, owner_client, bill, kopi, croissant
):
    act(officer_client, bill, "confirm")
    url = f"lines/{line_of(bill, croissant).pk}/void"
    response = act(officer_client, bill, url, {"reason": "changed mind"})
    assert response.status_code == 403
    assert "only an owner" in response.json()["error"]["message"]
    assert act(owner_client, bill, url, {"reason": "changed mind"}).status_code == 200


def test_a_line_of_another_order_is_404(officer_client, bill, kopi):
    other = place(officer_client, (kopi, 1))
    foreign = OrderItem.objects.get(order=other)
    response = act(officer_client, bill, f"lines/{foreign.pk}/void", {"reason": "x"})
    assert response.status_code == 404


def test_the_bill_moves_to_another_table(officer_client, bill, merchant, other_merchant):
    terrace = TableLocationFactory(merchant=merchant, number="T1")
    response = act(officer_client, bill, "move", {"table_id": terrace.pk})
    assert response.status_code == 200, response.content
    assert response.json()["table"]["number"] == "T1"
    event = bill.events.get(kind=OrderEvent.Kind.MOVED)
    assert (event.payload["from_table"], event.payload["to_table"]) == ("3", "T1")
    assert act(officer_client, bill, "move", {"table_id": terrace.pk}).status_code == 400
    theirs = TableLocationFactory(merchant=other_merchant)
    assert act(officer_client, bill, "move", {"table_id": theirs.pk}).status_code == 400
    closed = TableLocationFactory(merchant=merchant, is_active=False)
    assert act(officer_client, bill, "move", {"table_id": closed.pk}).status_code == 400


def test_split_moves_quantities_to_a_new_bill(officer_client, bill, table, kopi, croissant):
    kopi_line = line_of(bill, kopi)
    body = {
        "lines": [
            {"line_id": kopi_line.pk, "qty": 1},
            {"line_id": line_of(bill, croissant).pk, "quantity": 1},
        ]
    }
    response = act(officer_client, bill, "split", body)
    assert response.status_code == 201, response.content
    old, new = response.json()["order"], response.json()["new_order"]
    assert old["total_amount"] == "18000.00"
    assert new["total_amount"] == "40000.00"
    assert new["table"]["number"] == table.number
    assert new["split_from"] == bill.pk
    assert sorted((i["product_name"], i["quantity"]) for i in new["items"]) == [
        ("Croissant", 1),
        ("Kopi", 1),
    ]
    croissant.refresh_from_db()
    assert croissant.stock == 4  # unchanged: the units went with the line
    new_order = Order.objects.get(pk=new["id"])
    assert new_order.stock_reserved
    assert not Order.objects.get(pk=bill.pk).stock_reserved
    assert OrderEvent.Kind.SPLIT in kinds(bill)
    assert OrderEvent.Kind.SPLIT in kinds(new_order)
    act(officer_client, new_order, "cancel")
    croissant.refresh_from_db()
    assert croissant.stock == 5


@pytest.mark.parametrize(
    "lines_of",
    [
        lambda bill, kopi, croissant: [{"line_id": line_of(bill, kopi).pk, "qty": 3}],
        lambda bill, kopi, croissant: [{"line_id": 999999, "qty": 1}],
        lambda bill, kopi, croissant: [
            {"line_id": line_of(bill, kopi).pk, "qty": 2},
            {"line_id": line_of(bill, croissant).pk, "qty": 1},
        ],
    ],
    ids=["more than the line", "unknown line", "everything"],
)
def test_bad_splits_are_400(officer_client, bill, kopi, croissant, lines_of):
    response = act(officer_client, bill, "split", {"lines": lines_of(bill, kopi, croissant)})
    assert response.status_code == 400, response.content
    assert Order.objects.count() == 1


def test_a_bill_with_payments_is_not_split(officer_client, bill, kopi):
    act(officer_client, bill, "pay-cash", {"amount_paid": "60000"})
    response = act(
        officer_client, bill, "split", {"lines": [{"line_id": line_of(bill, kopi).pk, "qty": 1}]}
    )
    assert response.status_code == 409


def test_a_percent_discount_is_taken_before_tax(owner_client, merchant, nasi_goreng):
    """2 × Nasi Goreng: 45000 after the promotion, 10% off by staff → 4500; tax 10% of 40500
    = 4050, service 5% = 2025: total 46575."""
    order = place(owner_client, (nasi_goreng, 2))
    response = act(
        owner_client, order, "discount", {"kind": "percent", "value": "10", "reason": "Regular"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["staff_discount"] == {
        "kind": "percent",
        "value": "10.00",
        "reason": "Regular",
        "amount": "4500.00",
    }
    assert body["discount_amount"] == "9500.00"  # 5000 promotion + 4500 staff
    assert (body["tax_amount"], body["service_charge_amount"]) == ("4050.00", "2025.00")
    assert body["total_amount"] == "46575.00"
    assert body["items"][0]["order_discount_amount"] == "4500.00"
    response = owner_client.delete(f"{URL}/{order.pk}/discount")
    assert response.status_code == 200
    assert response.json()["staff_discount"] is None
    assert response.json()["total_amount"] == "51750.00"
    assert order.events.filter(kind=OrderEvent.Kind.DISCOUNT).count() == 2


def test_an_amount_discount_is_shared_among_lines(owner_client, kopi, croissant):
    order = place(owner_client, (kopi, 1), (croissant, 1))  # 18000 + 22000
    response = act(
        owner_client, order, "discount", {"kind": "amount", "value": "10001", "reason": "Late"}
    )
    body = response.json()
    shares = [item["order_discount_amount"] for item in body["items"]]
    assert shares == ["4500.00", "5501.00"]  # 4500.45 and 5500.55, the extra rupiah to the larger
    assert body["total_amount"] == "29999.00"
    too_much = {"kind": "amount", "value": "40001", "reason": "x"}
    assert act(owner_client, order, "discount", too_much).status_code == 400


def test_officers_discount_up_to_the_merchants_limit(officer_client, owner_client, merchant, kopi):
    order = place(officer_client, (kopi, 2))  # 36000
    body = {"kind": "percent", "value": "5", "reason": "Loyal customer"}
    response = act(officer_client, order, "discount", body)
    assert response.status_code == 403  # the limit is 0 until the owner sets one
    assert "at most 0% off" in response.json()["error"]["message"]
    merchant.officer_max_discount_percent = D(10)
    merchant.save()
    assert act(officer_client, order, "discount", body).status_code == 200
    amount = {"kind": "amount", "value": "3700", "reason": "x"}  # 10.3% of 36000
    assert act(officer_client, order, "discount", amount).status_code == 403
    assert act(owner_client, order, "discount", {**amount, "value": "36000"}).status_code == 200
    assert Order.objects.get(pk=order.pk).total_amount == D(0)


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "percent", "value": "101", "reason": "x"},
        {"kind": "percent", "value": "0", "reason": "x"},
        {"kind": "gift", "value": "5", "reason": "x"},
        {"kind": "amount", "value": "1000.50", "reason": "x"},
        {"kind": "percent", "value": "5", "reason": " "},
    ],
)
def test_bad_discounts_are_400(owner_client, kopi, body):
    order = place(owner_client, (kopi, 1))
    assert act(owner_client, order, "discount", body).status_code == 400


def test_a_discount_stays_right_as_lines_change(owner_client, kopi, croissant):
    order = place(owner_client, (kopi, 1), (croissant, 1))
    act(owner_client, order, "discount", {"kind": "amount", "value": "30000", "reason": "x"})
    line = line_of(order, croissant)
    response = act(owner_client, order, f"lines/{line.pk}/void", {"reason": "x"})
    body = response.json()
    # The amount is capped at what is left on the bill.
    assert (body["staff_discount"]["amount"], body["total_amount"]) == ("18000.00", "0.00")


# --- what stops a change ------------------------------------------------------------------


def error_code(response):
    return response.status_code, response.json()["error"]["code"]


@responses.activate
def test_a_gateway_charge_in_progress_holds_the_bill(
    officer_client, owner_client, pay_merchant, bill, kopi, croissant
):
    start_snap(officer_client, bill)
    croissant_line = line_of(bill, croissant)
    attempts = {
        "lines": act(officer_client, bill, "lines", {"lines": lines((croissant, 1))}),
        "void": act(officer_client, bill, f"lines/{croissant_line.pk}/void", {"reason": "x"}),
        "discount": act(
            owner_client, bill, "discount", {"kind": "percent", "value": "10", "reason": "x"}
        ),
        "split": act(
            officer_client, bill, "split", {"lines": [{"line_id": croissant_line.pk, "qty": 1}]}
        ),
    }
    for name, response in attempts.items():
        assert error_code(response) == (409, "payment_in_progress"), name
    assert Order.objects.count() == 1
    assert OrderItem.objects.filter(order=bill).count() == 2
    croissant.refresh_from_db()
    assert croissant.stock == 4
    assert Order.objects.get(pk=bill.pk).total_amount == D(58000)


@pytest.fixture
def part_paid(officer_client, merchant, kopi, croissant):
    """18000 + 22000 = 40000, 30000 of it on the card."""
    order = place(officer_client, (kopi, 1), (croissant, 1))
    card = PaymentMethodFactory(merchant=merchant, kind=PaymentMethod.Kind.CARD)
    response = act(officer_client, order, "payments", {"method_id": card.pk, "amount": "30000"})
    assert response.json()["amount_due"] == "10000.00"
    return order


def test_a_void_below_what_is_paid_is_409_and_keeps_the_stock(officer_client, part_paid, croissant):
    line = line_of(part_paid, croissant)
    response = act(officer_client, part_paid, f"lines/{line.pk}/void", {"reason": "x"})
    assert error_code(response) == (409, "below_amount_paid")
    croissant.refresh_from_db()
    assert croissant.stock == 4
    assert OrderItem.objects.get(pk=line.pk).voided_at is None
    assert Order.objects.get(pk=part_paid.pk).total_amount == D(40000)


def test_a_discount_below_what_is_paid_is_409(owner_client, part_paid):
    body = {"kind": "percent", "value": "50", "reason": "Regular"}
    assert error_code(act(owner_client, part_paid, "discount", body)) == (
        409,
        "below_amount_paid",
    )
    order = Order.objects.get(pk=part_paid.pk)
    assert (order.total_amount, order.staff_discount_kind) == (D(40000), "")
    assert not order.events.filter(kind=OrderEvent.Kind.DISCOUNT).exists()


def test_removing_a_discount_that_is_not_there_is_409(owner_client, bill):
    response = owner_client.delete(f"{URL}/{bill.pk}/discount")
    assert error_code(response) == (409, "no_discount")


def test_a_cancelled_bill_is_not_moved_voided_or_discounted(
    officer_client, owner_client, merchant, bill, croissant
):
    act(officer_client, bill, "cancel")
    terrace = TableLocationFactory(merchant=merchant, number="T1")
    line = line_of(bill, croissant)
    attempts = {
        "move": act(officer_client, bill, "move", {"table_id": terrace.pk}),
        "void": act(owner_client, bill, f"lines/{line.pk}/void", {"reason": "x"}),
        "discount": act(
            owner_client, bill, "discount", {"kind": "percent", "value": "10", "reason": "x"}
        ),
    }
    for name, response in attempts.items():
        assert error_code(response) == (409, "order_closed"), name
    croissant.refresh_from_db()
    assert croissant.stock == 5  # given back once, by the cancel
    assert Order.objects.get(pk=bill.pk).table_id != terrace.pk


def test_a_split_naming_no_lines_is_400(officer_client, bill):
    response = act(officer_client, bill, "split", {"lines": []})
    assert response.status_code == 400, response.content
    assert "lines" in response.json()["error"]["details"]
    assert Order.objects.count() == 1
