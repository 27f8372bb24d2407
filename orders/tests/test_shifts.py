"""Cash drawer shifts: the expected-cash arithmetic, cash tied to the open shift of its
register, closed shifts read-only, bad input."""

from decimal import Decimal

import pytest

from catalog.tests.factories import ProductFactory
from merchants.actors import Actor
from orders.models import Order
from orders.payments import order_payment_refund
from orders.tests.conftest import lines
from payments.models import CashMovement, Payment, Shift
from payments.shifts import shift_close, shift_open
from payments.tests.factories import PaymentMethodFactory

pytestmark = pytest.mark.django_db

SHIFTS = "/api/v1/shifts"
ORDERS = "/api/v1/orders"


@pytest.fixture
def counter(merchant):
    merchant.require_open_shift = True
    merchant.save(update_fields=["require_open_shift"])
    return merchant


def product(merchant, price):
    return ProductFactory(merchant=merchant, base_price=Decimal(price))


def cash_sale(client, item, *, handed, register=None) -> Order:
    body = {"lines": lines((item, 1))}
    created = client.post(ORDERS, body, format="json")
    assert created.status_code == 201, created.content
    order = Order.objects.get(pk=created.json()["id"])
    pay = {"amount_paid": str(handed)}
    if register:
        pay["register"] = register
    paid = client.post(f"{ORDERS}/{order.pk}/pay-cash", pay, format="json")
    assert paid.status_code == 200, paid.content
    return order


def open_shift(client, opening="200000", **extra):
    response = client.post(f"{SHIFTS}/open", {"opening_cash": opening, **extra}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_the_worked_example_to_the_rupiah(counter, officer_client, owner_client):
    """docs/shifts.md: opened with 200000, three cash sales (one with change), one cash
    refund, 50000 taken out for the bank, closed with 212500 counted."""
    shift = open_shift(officer_client, "200000")
    assert shift["register"] == "main"
    assert shift["status"] == "open"
    cash_sale(officer_client, product(counter, 25000), handed=25000)
    cash_sale(officer_client, product(counter, 38000), handed=50000)  # 12000 change
    refunded = cash_sale(officer_client, product(counter, 20000), handed=20000)
    refund = owner_client.post(
        f"{ORDERS}/{refunded.pk}/refund", {"reason": "Cold coffee"}, format="json"
    )
    assert refund.status_code == 200, refund.content
    out = officer_client.post(
        f"{SHIFTS}/{shift['id']}/cash-movements",
        {"kind": "out", "amount": "50000", "reason": "Bank deposit"},
        format="json",
    )
    assert out.status_code == 201, out.content

    closed = officer_client.post(
        f"{SHIFTS}/{shift['id']}/close", {"counted_cash": "212500", "note": "Short"}, format="json"
    )

    assert closed.status_code == 200, closed.content
    report = closed.json()
    # 200000 + 95000 taken − 12000 change − 20000 refunded + 0 in − 50000 out
    assert report["cash_taken"] == "95000.00"
    assert report["change_given"] == "12000.00"
    assert report["cash_refunds"] == "20000.00"
    assert report["cash_out"] == "50000.00"
    assert report["expected_cash"] == "213000.00"
    assert report["counted_cash"] == "212500.00"
    assert report["difference"] == "-500.00"
    assert report["orders"] == 3
    assert report["refunds"] == {"count": 1, "amount": "20000.00"}
    assert report["takings_by_method"] == [
        {"method": "cash", "name": "Cash", "amount": "83000.00", "count": 3}
    ]
    assert report["shift"]["status"] == "closed"
    assert [(m["kind"], m["amount"]) for m in report["movements"]] == [
        ("refund", "20000.00"),
        ("out", "50000.00"),
    ]
    stored = Shift.objects.get(pk=shift["id"])
    assert (stored.expected_cash, stored.difference) == (Decimal(213000), Decimal(-500))


def test_cash_without_an_open_shift_is_409_when_required(counter, officer_client):
    order_id = officer_client.post(
        ORDERS, {"lines": lines((product(counter, 10000), 1))}, format="json"
    ).json()["id"]
    refused = officer_client.post(
        f"{ORDERS}/{order_id}/pay-cash", {"amount_paid": "10000"}, format="json"
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "no_open_shift"
    assert "open one (POST /api/v1/shifts/open)" in refused.json()["error"]["message"]
    assert not Payment.objects.exists()


def test_without_the_setting_cash_is_taken_and_tied_when_a_shift_is_open(merchant, officer_client):
    loose = cash_sale(officer_client, product(merchant, 10000), handed=10000)
    assert Payment.objects.get(reference_id=str(loose.pk)).shift is None
    shift = open_shift(officer_client, "0")
    tied = cash_sale(officer_client, product(merchant, 10000), handed=10000)
    assert Payment.objects.get(reference_id=str(tied.pk)).shift_id == shift["id"]


def test_each_register_has_its_own_shift(counter, officer_client):
    front = open_shift(officer_client, "100000")
    bar = open_shift(officer_client, "50000", register="bar")
    twice = officer_client.post(f"{SHIFTS}/open", {"opening_cash": "0"}, format="json")
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "shift_already_open"
    order = cash_sale(officer_client, product(counter, 10000), handed=10000, register="bar")
    assert Payment.objects.get(reference_id=str(order.pk)).shift_id == bar["id"]
    current = officer_client.get(f"{SHIFTS}/current", {"register": "bar"})
    assert current.status_code == 200
    assert current.json()["expected_cash"] == "60000.00"
    main = officer_client.get(f"{SHIFTS}/current")
    assert main.json()["shift"]["id"] == front["id"]
    assert officer_client.get(f"{SHIFTS}/current", {"register": "terrace"}).status_code == 404


def test_two_merchants_each_open_main_and_see_only_their_own(
    counter, officer_client, other_merchant, other_owner, client_for
):
    """Register names are per merchant. Ours opens first, so theirs is the newest open "main"
    anywhere: a lookup that forgot the merchant would find theirs."""
    theirs_client = client_for(other_owner)
    ours = open_shift(officer_client, "200000")
    theirs = open_shift(theirs_client, "500000")
    assert (ours["register"], theirs["register"]) == ("main", "main")

    mine = officer_client.get(f"{SHIFTS}/current", {"register": "main"})
    assert mine.json()["shift"]["id"] == ours["id"]
    assert theirs_client.get(f"{SHIFTS}/current").json()["shift"]["id"] == theirs["id"]

    order = cash_sale(officer_client, product(counter, 10000), handed=10000)
    assert Payment.objects.get(reference_id=str(order.pk)).shift_id == ours["id"]
    assert officer_client.get(f"{SHIFTS}/current").json()["expected_cash"] == "210000.00"
    assert theirs_client.get(f"{SHIFTS}/current").json()["expected_cash"] == "500000.00"
    # Their shift is not ours to read, move cash in or close.
    assert officer_client.get(f"{SHIFTS}/{theirs['id']}").status_code == 404
    closing = officer_client.post(f"{SHIFTS}/{theirs['id']}/close", {"counted_cash": "0"})
    assert closing.status_code == 404
    assert Shift.objects.get(pk=theirs["id"]).is_open


def test_counter_sale_and_card_tenders_land_in_the_shift(counter, officer_client):
    shift = open_shift(officer_client, "100000")
    cash = PaymentMethodFactory(merchant=counter, kind="cash", name="Cash")
    card = PaymentMethodFactory(merchant=counter, kind="card", name="BCA EDC")
    tea = product(counter, 30000)
    body = {
        "lines": lines((tea, 1)),
        "payments": [
            {"method_id": card.pk, "amount": "10000"},
            {"method_id": cash.pk, "amount": "50000"},
        ],
        "complete": True,
    }
    assert officer_client.post(ORDERS, body, format="json").status_code == 201
    report = officer_client.get(f"{SHIFTS}/{shift['id']}").json()
    assert report["takings_by_method"] == [
        {"method": "card", "name": "BCA EDC", "amount": "10000.00", "count": 1},
        {"method": "cash", "name": "Cash", "amount": "20000.00", "count": 1},
    ]
    assert (report["cash_taken"], report["change_given"]) == ("50000.00", "30000.00")
    assert report["expected_cash"] == "120000.00"


def test_a_closed_shift_is_read_only(counter, officer_client, officer):
    shift = open_shift(officer_client, "1000")
    url = f"{SHIFTS}/{shift['id']}"
    assert officer_client.post(f"{url}/close", {"counted_cash": "1000"}).status_code == 200
    again = officer_client.post(f"{url}/close", {"counted_cash": "1000"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "shift_closed"
    moved = officer_client.post(
        f"{url}/cash-movements", {"kind": "in", "amount": "500", "reason": "Float"}
    )
    assert moved.status_code == 409
    assert "next shift" in moved.json()["error"]["message"]
    # Cash is refused until a new shift is opened on the register.
    order_id = officer_client.post(
        ORDERS, {"lines": lines((product(counter, 1000), 1))}, format="json"
    ).json()["id"]
    paid = officer_client.post(f"{ORDERS}/{order_id}/pay-cash", {"amount_paid": "1000"})
    assert paid.status_code == 409


def test_refund_of_an_earlier_shifts_sale_leaves_todays_drawer(counter, officer_client, owner):
    first = open_shift(officer_client, "0")
    order = cash_sale(officer_client, product(counter, 15000), handed=15000)
    officer_client.post(f"{SHIFTS}/{first['id']}/close", {"counted_cash": "15000"})
    second = open_shift(officer_client, "15000")
    order_payment_refund(order=order, actor=Actor.staff(owner), reason="Wrong order")
    movement = CashMovement.objects.get()
    assert (movement.shift_id, movement.kind, movement.amount) == (
        second["id"],
        "refund",
        Decimal(15000),
    )
    assert officer_client.get(f"{SHIFTS}/current").json()["expected_cash"] == "0.00"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("open", {}, "opening_cash"),
        ("open", {"opening_cash": "-1"}, "opening_cash"),
        ("open", {"opening_cash": "abc"}, "opening_cash"),
        ("open", {"opening_cash": "10", "register": "x" * 41}, "register"),
        ("{id}/close", {}, "counted_cash"),
        ("{id}/close", {"counted_cash": "-5"}, "counted_cash"),
        ("{id}/cash-movements", {"kind": "sideways", "amount": "1", "reason": "x"}, "kind"),
        ("{id}/cash-movements", {"kind": "in", "amount": "0", "reason": "x"}, "amount"),
        ("{id}/cash-movements", {"kind": "in", "amount": "1"}, "reason"),
        ("{id}/cash-movements", {"kind": "refund", "amount": "1", "reason": "x"}, "kind"),
        ("{id}/cash-movements", {"kind": "out", "amount": "999999", "reason": "x"}, "amount"),
    ],
)
def test_bad_input_is_400_naming_the_field(merchant, officer, officer_client, path, body, field):
    shift = shift_open(merchant=merchant, actor=Actor.staff(officer), opening_cash=Decimal(100))
    response = officer_client.post(f"{SHIFTS}/{path.format(id=shift.pk)}", body, format="json")
    assert response.status_code == 400, response.content
    assert field in str(response.json())
    shift.refresh_from_db()
    assert shift.is_open
    assert not CashMovement.objects.exists()


@pytest.mark.parametrize("register", ["\x00`7", "bar\ttill", "x" * 41])
def test_a_register_asked_for_is_a_printable_name(merchant, officer_client, register):
    response = officer_client.get(f"{SHIFTS}/current", {"register": register})
    assert response.status_code == 400, response.content
    assert "register" in response.json()["error"]["details"]


def test_shift_list_and_report_query_counts(
    merchant, officer, officer_client, django_assert_max_num_queries
):
    for register in ("a", "b", "c"):
        shift = shift_open(
            merchant=merchant,
            actor=Actor.staff(officer),
            opening_cash=Decimal(1),
            register=register,
        )
        shift_close(shift=shift, actor=Actor.staff(officer), counted_cash=Decimal(1))
    with django_assert_max_num_queries(6):
        listed = officer_client.get(SHIFTS)
    assert listed.status_code == 200
    assert len(listed.json()["results"]) == 3
    with django_assert_max_num_queries(8):
        assert officer_client.get(f"{SHIFTS}/{shift.pk}").status_code == 200


# --- admin ---------------------------------------------------------------------------------


def test_the_printable_shift_report_and_the_daily_z_list_the_shift(
    merchant, officer, owner_admin, other_merchant
):
    from django.urls import reverse

    from payments.tests.factories import ShiftFactory

    shift = shift_open(merchant=merchant, actor=Actor.staff(officer), opening_cash=Decimal(200000))
    shift_close(shift=shift, actor=Actor.staff(officer), counted_cash=Decimal(199500))
    report = owner_admin.get(reverse("admin:payments_shift_report", args=[shift.pk]))
    assert report.status_code == 200
    page = report.content.decode()
    assert "Z report — shift closed" in page
    assert "−500" in page or "-500" in page
    daily = owner_admin.get(reverse("admin:orders_order_daily_report")).content.decode()
    assert reverse("admin:payments_shift_report", args=[shift.pk]) in daily
    theirs = ShiftFactory(merchant=other_merchant)
    assert (
        owner_admin.get(reverse("admin:payments_shift_report", args=[theirs.pk])).status_code == 404
    )


def test_the_shift_report_and_a_closed_shifts_refusal_read_in_indonesian(
    merchant, officer, officer_client, owner_admin
):
    from django.urls import reverse

    shift = shift_open(merchant=merchant, actor=Actor.staff(officer), opening_cash=Decimal(200000))
    shift_close(shift=shift, actor=Actor.staff(officer), counted_cash=Decimal(200000))
    url = reverse("admin:payments_shift_report", args=[shift.pk])
    page = owner_admin.get(url, HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "Laporan Z — shift ditutup" in page
    assert f"Laci kas ({shift.currency})" in page
    assert "Z report" not in page
    # The till's "Change" (cash handed back) has its own context: the admin's stays "Ubah".
    assert "Ubah" in owner_admin.get("/admin/", HTTP_ACCEPT_LANGUAGE="id").content.decode()

    again = officer_client.post(
        f"{SHIFTS}/{shift.pk}/close", {"counted_cash": "1000"}, HTTP_ACCEPT_LANGUAGE="id"
    )
    assert again.status_code == 409
    assert "sudah ditutup" in again.json()["error"]["message"]
