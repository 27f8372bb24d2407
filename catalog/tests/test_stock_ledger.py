"""The stock ledger: every change of stock is a StockMovement, and stock is their sum."""

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.urls import reverse

from catalog.models import Product, StockMovement
from catalog.stock import StockKind, stock_adjust, stock_audit_differences, stock_count_many
from catalog.tests.factories import ProductFactory
from merchants.actors import SYSTEM, Actor
from merchants.errors import Conflict, DomainError, NotFound
from merchants.models import Membership
from orders.bills import order_line_void
from orders.services import LineInput, order_cancel, order_create

pytestmark = pytest.mark.django_db
OFFICER = Membership.Role.OFFICER


def ledger(product) -> list[tuple[str, int]]:
    rows = StockMovement.objects.filter(product=product).order_by("pk")
    return list(rows.values_list("kind", "delta"))


def url(product, suffix):
    return reverse("api:product-detail", args=[product.pk]).rstrip("/") + f"/{suffix}"


def test_a_new_product_opens_its_ledger_with_a_count(merchant):
    cake = ProductFactory(merchant=merchant, track_stock=True, stock=12)
    assert ledger(cake) == [("count", 12)]
    assert stock_audit_differences() == []


def test_a_saved_number_is_a_count_of_the_difference(merchant, owner):
    cake = ProductFactory(merchant=merchant, track_stock=True, stock=12)
    cake = Product.objects.get(pk=cake.pk)
    cake.stock = 9
    cake.save(stock_actor=owner, stock_reason="Dropped three")
    assert ledger(cake) == [("count", 12), ("count", -3)]
    movement = StockMovement.objects.filter(product=cake).first()
    assert (movement.actor, movement.reason) == (owner, "Dropped three")


def test_a_stale_form_never_undoes_sales_made_meanwhile(merchant):
    cake = ProductFactory(merchant=merchant, track_stock=True, stock=10)
    stale = Product.objects.get(pk=cake.pk)
    order_create(merchant=merchant, lines=[LineInput(product_id=cake.pk, quantity=4)], actor=SYSTEM)
    stale.name = "Cheesecake"
    stale.save()  # loaded at 10, not changed: the 4 sold stay sold
    cake.refresh_from_db()
    assert (cake.name, cake.stock) == ("Cheesecake", 6)
    assert stock_audit_differences() == []


def test_sales_and_cancels_name_the_order_and_its_lines(merchant, owner):
    tea = ProductFactory(merchant=merchant, track_stock=True, stock=10)
    order = order_create(
        merchant=merchant,
        lines=[LineInput(product_id=tea.pk, quantity=2), LineInput(product_id=tea.pk, quantity=1)],
        actor=Actor.staff(owner),
    )
    sales = list(StockMovement.objects.filter(kind="sale").order_by("pk"))
    assert [m.delta for m in sales] == [-2, -1]
    assert {m.order_id for m in sales} == {order.pk}
    assert {m.order_line_id for m in sales} == set(order.items.values_list("pk", flat=True))
    assert sales[0].actor == owner
    order_cancel(order=order, actor=Actor.staff(owner), reason="customer left")
    assert ledger(tea)[-2:] == [("cancel", 2), ("cancel", 1)]
    tea.refresh_from_db()
    assert tea.stock == 10
    assert stock_audit_differences() == []


def test_a_voided_line_gives_its_units_back_as_a_void_naming_the_line(merchant, officer):
    tea = ProductFactory(merchant=merchant, track_stock=True, stock=10)
    cake = ProductFactory(merchant=merchant, track_stock=True, stock=4)
    order = order_create(
        merchant=merchant,
        lines=[LineInput(product_id=tea.pk, quantity=3), LineInput(product_id=cake.pk, quantity=1)],
        actor=Actor.staff(officer),
    )
    line = order.items.get(product=tea)

    order_line_void(
        order=order, line_id=line.pk, reason="Spilled", actor=Actor.staff(officer), role=OFFICER
    )

    void = StockMovement.objects.get(kind="void")
    assert (void.product_id, void.delta, void.order_id, void.order_line_id, void.actor) == (
        tea.pk,
        3,
        order.pk,
        line.pk,
        officer,
    )
    assert "Spilled" in void.reason
    assert ledger(tea) == [("count", 10), ("sale", -3), ("void", 3)]
    assert ledger(cake) == [("count", 4), ("sale", -1)]  # the line kept keeps its units
    tea.refresh_from_db()
    assert tea.stock == 10
    # A second void of the same line is refused and gives nothing back twice.
    with pytest.raises(NotFound):
        order_line_void(
            order=order, line_id=line.pk, reason="Again", actor=Actor.staff(officer), role=OFFICER
        )
    assert StockMovement.objects.filter(kind="void").count() == 1
    assert stock_audit_differences() == []
    call_command("stock_audit")  # exits 0


def test_adjust_by_delta_or_counted_and_never_below_zero(merchant):
    tea = ProductFactory(merchant=merchant, track_stock=True, stock=5)
    stock_adjust(product=tea, actor=SYSTEM, kind=StockKind.RESTOCK, delta=10, reason="Delivery")
    stock_adjust(product=tea, actor=SYSTEM, kind=StockKind.COUNT, counted=13, reason="Shelf")
    with pytest.raises(Conflict, match="has 13 in stock; taking 20"):
        stock_adjust(product=tea, actor=SYSTEM, kind=StockKind.ADJUSTMENT, delta=-20)
    with pytest.raises(DomainError, match="restock adds units"):
        stock_adjust(product=tea, actor=SYSTEM, kind=StockKind.RESTOCK, delta=-1)
    with pytest.raises(DomainError, match="cannot be recorded by hand"):
        stock_adjust(product=tea, actor=SYSTEM, kind="sale", delta=-1)
    tea.refresh_from_db()
    assert tea.stock == 13
    assert ledger(tea) == [("count", 5), ("restock", 10), ("count", -2)]


def test_stock_take_counts_many_in_one_insert(merchant, other_merchant, django_assert_num_queries):
    products = [ProductFactory(merchant=merchant, track_stock=True, stock=5) for _ in range(4)]
    counted = {products[0].pk: 5, products[1].pk: 3, products[2].pk: 9, products[3].pk: 0}
    with django_assert_num_queries(5):  # savepoint, lock, one update, one insert, release
        movements = stock_count_many(merchant_id=merchant.pk, counted=counted, actor=SYSTEM)
    assert sorted(m.delta for m in movements) == [-5, -2, 4]  # unchanged: no movement
    foreign = ProductFactory(merchant=other_merchant, track_stock=True, stock=1)
    with pytest.raises(DomainError, match=f"No product {foreign.pk}"):
        stock_count_many(merchant_id=merchant.pk, counted={foreign.pk: 7}, actor=SYSTEM)
    assert stock_audit_differences() == []


def test_stock_audit_is_clean_or_names_the_difference(merchant, capsys):
    tea = ProductFactory(merchant=merchant, name="Tea", track_stock=True, stock=5)
    call_command("stock_audit")
    assert "Stock matches the ledger" in capsys.readouterr().out
    Product.objects.filter(pk=tea.pk).update(stock=F("stock") + 2)  # behind the ledger's back
    with pytest.raises(CommandError, match="1 product"):
        call_command("stock_audit")
    assert "stock 7, ledger 5 (difference +2)" in capsys.readouterr().err


# --- API ---------------------------------------------------------------------------------------


def test_owner_adjusts_and_counts_through_the_api(owner_client, merchant):
    tea = ProductFactory(merchant=merchant, track_stock=True, stock=5)
    response = owner_client.post(
        url(tea, "stock-adjustments"), {"delta": -2, "reason": "Broken"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["delta"], body["reason"], body["actor"]) == (
        "adjustment",
        -2,
        "Broken",
        "own",
    )
    response = owner_client.post(url(tea, "stock-adjustments"), {"counted": 10}, format="json")
    assert (response.status_code, response.json()["delta"]) == (201, 7)
    tea.refresh_from_db()
    assert tea.stock == 10


def test_officers_may_only_restock(officer_client, merchant):
    tea = ProductFactory(merchant=merchant, track_stock=True, stock=5)
    refused = officer_client.post(url(tea, "stock-adjustments"), {"delta": -1}, format="json")
    assert refused.status_code == 403
    assert "only restock" in refused.json()["error"]["message"]
    done = officer_client.post(
        url(tea, "stock-adjustments"), {"delta": 6, "kind": "restock"}, format="json"
    )
    assert done.status_code == 201
    tea.refresh_from_db()
    assert tea.stock == 11


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "delta"),
        ({"delta": 1, "counted": 1}, "delta"),
        ({"delta": 0}, "delta"),
        ({"counted": -1}, "counted"),
        ({"delta": "many"}, "delta"),
        ({"delta": 2, "kind": "sale"}, "kind"),
        ({"delta": 2, "kind": "count"}, "kind"),
        ({"counted": 2, "kind": "restock"}, "kind"),
    ],
)
def test_bad_adjustments_are_400_and_change_nothing(owner_client, merchant, body, field):
    tea = ProductFactory(merchant=merchant, track_stock=True, stock=5)
    response = owner_client.post(url(tea, "stock-adjustments"), body, format="json")
    assert response.status_code == 400
    assert field in str(response.json())
    assert ledger(tea) == [("count", 5)]


def test_below_zero_is_409(owner_client, merchant):
    tea = ProductFactory(merchant=merchant, track_stock=True, stock=1)
    response = owner_client.post(url(tea, "stock-adjustments"), {"delta": -2}, format="json")
    assert response.status_code == 409
    assert "below zero" in response.json()["error"]["message"]


def test_movements_list_filters_by_kind_and_date(
    officer_client, merchant, django_assert_max_num_queries
):
    tea = ProductFactory(merchant=merchant, track_stock=True, stock=5)
    for _ in range(3):
        stock_adjust(product=tea, actor=SYSTEM, kind=StockKind.RESTOCK, delta=1)
    with django_assert_max_num_queries(8):
        response = officer_client.get(url(tea, "stock-movements"), {"kind": "restock"})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["kind"] for row in rows] == ["restock"] * 3
    later = officer_client.get(
        url(tea, "stock-movements"), {"created_after": "2099-01-01T00:00:00Z"}
    )
    assert later.json()["results"] == []
    bad = officer_client.get(url(tea, "stock-movements"), {"kind": "theft"})
    assert bad.status_code == 400


def test_stock_sent_with_the_product_is_a_count_by_who_sent_it(owner_client, merchant, owner):
    tea = ProductFactory(merchant=merchant, track_stock=True, stock=5)
    response = owner_client.patch(
        reverse("api:product-detail", args=[tea.pk]), {"stock": 8}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["stock"] == 8
    last = StockMovement.objects.filter(product=tea).first()
    assert (last.kind, last.delta, last.actor) == ("count", 3, owner)
    created = owner_client.post(
        reverse("api:product-list"),
        {"name": "Scone", "base_price": "15000", "track_stock": True, "stock": 4},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert ledger(Product.objects.get(pk=created.json()["id"])) == [("count", 4)]
    assert stock_audit_differences() == []


# --- admin -------------------------------------------------------------------------------------


def test_product_page_shows_the_latest_movements_in_constant_queries(
    owner_admin, merchant, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.tests.factories import StockMovementFactory

    tea = ProductFactory(merchant=merchant, track_stock=True, stock=0)
    url = reverse("admin:catalog_product_change", args=[tea.pk])
    StockMovementFactory.create_batch(3, product=tea)
    owner_admin.get(url)
    with CaptureQueriesContext(connection) as three:
        assert owner_admin.get(url).status_code == 200
    StockMovementFactory.create_batch(60, product=tea)
    with django_assert_max_num_queries(len(three)):
        response = owner_admin.get(url)
    assert response.content.decode().count('class="field-delta"') == 50


def test_stock_take_counts_the_numbers_entered(owner_admin, merchant, other_merchant, owner):
    tea = ProductFactory(merchant=merchant, name="Tea", track_stock=True, stock=5)
    cake = ProductFactory(merchant=merchant, name="Cake", track_stock=True, stock=2)
    ProductFactory(merchant=merchant, name="Service", track_stock=False)
    theirs = ProductFactory(merchant=other_merchant, name="Theirs", track_stock=True, stock=1)
    url = reverse("admin:catalog_product_stock_take")
    page = owner_admin.get(url).content.decode()
    assert "Tea" in page
    assert "Cake" in page
    assert "Service" not in page
    assert "Theirs" not in page
    response = owner_admin.post(
        url, {f"counted_{tea.pk}": "7", f"counted_{cake.pk}": "", "reason": "Monday count"}
    )
    assert response.status_code == 302
    assert ledger(tea) == [("count", 5), ("count", 2)]
    assert ledger(cake) == [("count", 2)]  # left blank: not counted
    assert StockMovement.objects.filter(product=tea).first().actor == owner
    # An id of another merchant is no field of this form: ignored, never written.
    owner_admin.post(url, {f"counted_{theirs.pk}": "9"})
    theirs.refresh_from_db()
    assert theirs.stock == 1


def test_officers_cannot_take_stock(client, officer, merchant):
    officer.is_staff = True
    officer.save()
    client.force_login(officer)
    assert client.get(reverse("admin:catalog_product_stock_take")).status_code == 403


def test_demo_data_keeps_stock_and_ledger_in_step(capsys):
    call_command("seed_demo")
    call_command("seed_demo")  # refreshed: still in step
    assert stock_audit_differences() == []
    assert StockMovement.objects.exists()
