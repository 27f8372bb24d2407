"""The only functions that change a product's stock, each writing its StockMovement rows in the
same transaction: reserve (a sale), release (a void, a cancel), adjust (a correction, a
restock, one counted number) and count many at once (a stock take).

`Product.stock` is the fast read; the ledger says why it is what it is, and the two always
agree (`stock_audit_differences`, run by `manage.py stock_audit`). Rows are locked in product-id
order so two baskets, or a basket and a stock take, never deadlock.
"""

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, F, IntegerField, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext

from catalog.menu_cache import catalog_version_bump_many, stock_version_bump_many
from catalog.models import Product, StockMovement
from merchants.actors import Actor
from merchants.errors import Conflict, DomainError


class StockKind:
    """Why stock changed, as the ledger labels it (`StockMovement.Kind`): a sale takes units; a
    line voided from an open bill or an order cancelled (or expired unpaid) gives them back."""

    SALE = StockMovement.Kind.SALE
    VOID = StockMovement.Kind.VOID
    CANCEL = StockMovement.Kind.CANCEL
    ADJUSTMENT = StockMovement.Kind.ADJUSTMENT
    RESTOCK = StockMovement.Kind.RESTOCK
    COUNT = StockMovement.Kind.COUNT


# What a person may record through an adjustment (sales, voids and cancels come from orders).
MANUAL_KINDS = (StockKind.ADJUSTMENT, StockKind.RESTOCK, StockKind.COUNT)


@dataclass(frozen=True)
class StockLine:
    """Units of one product taken or given back, and the order line they belong to, if any."""

    product_id: int
    quantity: int
    order_line_id: int | None = None


def _units_by_product(lines: Sequence[StockLine]) -> dict[int, int]:
    units: Counter[int] = Counter()
    for line in lines:
        units[line.product_id] += line.quantity
    return dict(units)


def _stock_delta_case(quantities: dict[int, int]) -> Case:
    return Case(
        *[When(pk=pk, then=Value(qty)) for pk, qty in quantities.items()],
        default=Value(0),
        output_field=IntegerField(),
    )


def _not_enough(pk: int, name: str, left: int, asked: int) -> Conflict:
    return Conflict(
        gettext("Not enough stock for %(name)s: %(left)s left, %(asked)s asked.")
        % {"name": name, "left": left, "asked": asked},
        code="insufficient_stock",
        details={"product_id": pk, "available": left, "requested": asked},
    )


def _movement(
    *, merchant_id: int, product_id: int, delta: int, kind: str, actor: Actor | None, **fields
) -> StockMovement:
    user = actor.user if actor is not None else None
    return StockMovement(
        merchant_id=merchant_id,
        product_id=product_id,
        delta=delta,
        kind=kind,
        actor=user if getattr(user, "pk", None) else None,
        actor_label=(actor.label if actor is not None else "system")[:150],
        **fields,
    )


def _line_movements(
    lines: Sequence[StockLine],
    merchants: dict[int, int],
    *,
    sign: int,
    kind: str,
    actor: Actor,
    reason: str,
    order_id: int | None,
) -> list[StockMovement]:
    return [
        _movement(
            merchant_id=merchants[line.product_id],
            product_id=line.product_id,
            delta=sign * line.quantity,
            kind=kind,
            actor=actor,
            reason=reason[:255],
            order_id=order_id,
            order_line_id=line.order_line_id,
        )
        for line in lines
        if line.quantity
    ]


def stock_check(*, wanted: Sequence[tuple[Product, int]]) -> None:
    """Raise the Conflict `stock_reserve` would raise for these (product, units), reading the
    products as loaded (no lock, no query): what a quote tells before anything is taken."""
    units: Counter[int] = Counter()
    products = {}
    for product, quantity in wanted:
        if product.track_stock:
            units[product.pk] += quantity
            products[product.pk] = product
    for pk in sorted(units):
        if products[pk].stock < units[pk]:
            raise _not_enough(pk, products[pk].name, products[pk].stock, units[pk])


def stock_reserve(
    *,
    lines: Sequence[StockLine],
    actor: Actor,
    reason: str = "",
    order_id: int | None = None,
    kind: str = StockKind.SALE,
    record: bool = True,
) -> dict[int, int]:
    """Take units of tracked products for a sale, or raise Conflict naming the product and what
    is left; answers the units taken per product id.

    Rows are locked in product-id order (so two baskets never deadlock), checked, updated in
    one conditional statement, and the ledger written in one insert: a constant number of
    queries however many lines there are. Runs inside the caller's transaction. A caller that
    takes units before its lines exist passes `record=False` and then `stock_record` with the
    lines, in the same transaction.
    """
    quantities = _units_by_product(lines)
    if not quantities:
        return {}
    locked = {
        pk: (stock, name, merchant_id)
        for pk, stock, name, merchant_id in Product.objects.select_for_update()
        .filter(pk__in=quantities.keys())
        .order_by("pk")
        .values_list("pk", "stock", "name", "merchant_id")
    }
    for pk in sorted(quantities):
        left, name, _ = locked[pk]
        if left < quantities[pk]:
            raise _not_enough(pk, name, left, quantities[pk])
    delta = _stock_delta_case(quantities)
    updated = Product.objects.filter(pk__in=quantities.keys(), stock__gte=delta).update(
        stock=F("stock") - delta
    )
    if updated != len(quantities):  # only reachable where rows are not locked (SQLite)
        raise Conflict(
            gettext("Stock changed while ordering; please try again."), code="stock_changed"
        )
    stock_version_bump_many(row[2] for row in locked.values())
    menu_stock_changed(sold_out=[pk for pk in quantities if locked[pk][0] <= quantities[pk]])
    if not record:
        return quantities
    merchants = {pk: row[2] for pk, row in locked.items()}
    StockMovement.objects.bulk_create(
        _line_movements(
            lines, merchants, sign=-1, kind=kind, actor=actor, reason=reason, order_id=order_id
        )
    )
    return quantities


def stock_record(
    *,
    merchant_id: int,
    lines: Sequence[StockLine],
    actor: Actor,
    reason: str = "",
    order_id: int | None = None,
    kind: str = StockKind.SALE,
) -> None:
    """Write the ledger of units `stock_reserve(record=False)` took (one insert)."""
    merchants = {line.product_id: merchant_id for line in lines}
    StockMovement.objects.bulk_create(
        _line_movements(
            lines, merchants, sign=-1, kind=kind, actor=actor, reason=reason, order_id=order_id
        )
    )


def stock_release(
    *,
    lines: Sequence[StockLine],
    actor: Actor,
    reason: str = "",
    order_id: int | None = None,
    kind: str = StockKind.CANCEL,
) -> dict[int, int]:
    """Give units back to stock (an order cancelled, its payment expired, a line voided);
    answers the units given back per product id. The caller makes sure it happens once (an
    order flips its `stock_reserved` first, a voided line zeroes its `reserved_quantity`).
    One update and one ledger insert, inside the caller's transaction."""
    quantities = _units_by_product(lines)
    if quantities:
        merchants = dict(
            Product.objects.filter(pk__in=quantities.keys()).values_list("pk", "merchant_id")
        )
        delta = _stock_delta_case(quantities)
        Product.objects.filter(pk__in=quantities.keys()).update(stock=F("stock") + delta)
        stock_version_bump_many(merchants.values())
        menu_stock_changed(sold_out=list(quantities))  # may be back on sale
        StockMovement.objects.bulk_create(
            _line_movements(
                lines, merchants, sign=1, kind=kind, actor=actor, reason=reason, order_id=order_id
            )
        )
    return quantities


def stock_adjust(
    *,
    product: Product,
    actor: Actor,
    kind: str,
    reason: str = "",
    delta: int | None = None,
    counted: int | None = None,
) -> StockMovement:
    """Change one product's stock by `delta` units, or set it to the `counted` units found on
    the shelf (the movement is the difference). `restock` adds units; stock never goes below
    zero (409 naming what is left). The row is locked, so a sale at the same moment is either
    before or after, and the ledger still sums to the stock."""
    if kind not in MANUAL_KINDS:
        raise DomainError(
            gettext("Kind %(kind)r cannot be recorded by hand; use one of %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(MANUAL_KINDS)},
            details={"kind": [gettext("One of %(kinds)s.") % {"kinds": ", ".join(MANUAL_KINDS)}]},
        )
    if (delta is None) == (counted is None):
        raise DomainError(
            gettext("Send either delta (units added or taken) or counted (units on the shelf)."),
            details={"delta": [gettext("Either delta or counted.")]},
        )
    if kind == StockKind.RESTOCK and (delta is None or delta <= 0):
        raise DomainError(
            gettext("A restock adds units: send a positive delta."),
            details={"delta": [gettext("A positive number of units.")]},
        )
    if counted is not None and counted < 0:
        raise DomainError(
            gettext("Counted units cannot be negative."), details={"counted": [">= 0"]}
        )
    with transaction.atomic():
        locked = Product.objects.select_for_update().get(pk=product.pk)
        change = delta if delta is not None else counted - locked.stock
        if locked.stock + change < 0:
            raise Conflict(
                gettext(
                    "%(product)s has %(stock)s in stock; taking %(taken)s would go below zero. "
                    "Count the shelf and send counted instead."
                )
                % {"product": locked.name, "stock": locked.stock, "taken": -change},
                code="stock_below_zero",
                details={"stock": locked.stock, "delta": change},
            )
        if change:
            Product.objects.filter(pk=locked.pk).update(stock=F("stock") + change)
            stock_version_bump_many([locked.merchant_id])
            if (locked.stock > 0) != (locked.stock + change > 0):
                menu_stock_changed(sold_out=[locked.pk])
        movement = _movement(
            merchant_id=locked.merchant_id,
            product_id=locked.pk,
            delta=change,
            kind=kind,
            actor=actor,
            reason=(reason or "").strip()[:255],
        )
        movement.save()
    product.stock = locked.stock + change
    product._stock_as_loaded = product.stock
    return movement


def stock_count_many(
    *, merchant_id: int, counted: dict[int, int], actor: Actor, reason: str = ""
) -> list[StockMovement]:
    """A stock take: set each product (ids of `merchant_id`) to its counted units in one
    transaction, one `count` movement per product whose number changed, written in one insert.
    An id of another merchant is a 400 and nothing is written."""
    if any(units < 0 for units in counted.values()):
        raise DomainError(
            gettext("Counted units cannot be negative."), details={"counted": [">= 0"]}
        )
    with transaction.atomic():
        locked = dict(
            Product.objects.select_for_update()
            .filter(pk__in=counted.keys(), merchant_id=merchant_id)
            .order_by("pk")
            .values_list("pk", "stock")
        )
        missing = sorted(set(counted) - set(locked))
        if missing:
            raise DomainError(
                gettext("No product %(ids)s at this merchant.")
                % {"ids": ", ".join(map(str, missing))},
                details={"product_ids": missing},
            )
        deltas = {
            pk: counted[pk] - locked[pk] for pk in sorted(counted) if counted[pk] != locked[pk]
        }
        if not deltas:
            return []
        Product.objects.filter(pk__in=deltas.keys()).update(
            stock=F("stock") + _stock_delta_case(deltas)
        )
        stock_version_bump_many([merchant_id])
        menu_stock_changed(
            sold_out=[pk for pk, delta in deltas.items() if (locked[pk] > 0) != (counted[pk] > 0)]
        )
        return StockMovement.objects.bulk_create(
            _movement(
                merchant_id=merchant_id,
                product_id=pk,
                delta=delta,
                kind=StockKind.COUNT,
                actor=actor,
                reason=(reason or "Stock take").strip()[:255],
            )
            for pk, delta in deltas.items()
        )


def stock_saved_with_product(
    product: Product,
    save: Callable[..., None],
    *,
    update_fields=None,
    actor_user=None,
    reason: str = "",
) -> None:
    """How `Product.save` keeps the ledger: a new product's stock is its opening `count`; a
    number changed since loading is a `count` of the difference to the locked row; a number
    left as loaded is not written at all (the row may have sold units meanwhile)."""
    actor = Actor.staff(actor_user) if actor_user is not None else None
    reason = reason or "Stock set on the product"
    if product._state.adding:
        with transaction.atomic():
            save()
            if product.stock:
                _movement(
                    merchant_id=product.merchant_id,
                    product_id=product.pk,
                    delta=product.stock,
                    kind=StockKind.COUNT,
                    actor=actor,
                    reason=reason,
                ).save()
        product._stock_as_loaded = product.stock
        return
    loaded = getattr(product, "_stock_as_loaded", None)
    if "stock" not in product.__dict__ or (
        update_fields is not None and "stock" not in update_fields
    ):
        save()
        return
    if loaded is not None and product.stock == loaded:
        fields = update_fields or [
            f.name for f in product._meta.concrete_fields if not f.primary_key
        ]
        save(update_fields=[name for name in fields if name != "stock"])
        return
    with transaction.atomic():
        current = (
            Product.objects.select_for_update()
            .filter(pk=product.pk)
            .values_list("stock", flat=True)
            .first()
        )
        save()
        change = product.stock - (current or 0)
        if change:
            _movement(
                merchant_id=product.merchant_id,
                product_id=product.pk,
                delta=change,
                kind=StockKind.COUNT,
                actor=actor,
                reason=reason,
            ).save()
    product._stock_as_loaded = product.stock


def stock_ledger_sums():
    """Products annotated with `ledger` (the sum of their movements, 0 when none)."""
    sums = (
        StockMovement.objects.filter(product=OuterRef("pk"))
        .order_by()
        .values("product")
        .annotate(total=Sum("delta"))
        .values("total")
    )
    return Product.objects.annotate(ledger=Coalesce(Subquery(sums), Value(0)))


def stock_audit_differences(*, merchant_id: int | None = None) -> list[tuple[Product, int]]:
    """Every product whose stock is not the sum of its movements, with that sum."""
    products = stock_ledger_sums().select_related("merchant").order_by("merchant_id", "pk")
    if merchant_id is not None:
        products = products.filter(merchant_id=merchant_id)
    return [(p, p.ledger) for p in products.exclude(stock=F("ledger"))]


def menu_stock_changed(*, sold_out: Sequence[int]) -> None:
    """The public menu shows `sold_out`: a product whose stock reached or left zero changes
    it (other stock moves do not, so sales do not empty the menu cache)."""
    if not sold_out:
        return
    # Other transactions see the new stock on commit: the menu needs to learn no sooner.
    transaction.on_commit(
        lambda: catalog_version_bump_many(
            Product.objects.filter(pk__in=sold_out).values_list("merchant_id", flat=True)
        )
    )
