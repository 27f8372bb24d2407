"""Which modifier options a line of an order may take, and what each adds to the unit price.

The rule: for each active group of the product, `min_select` ≤ options chosen ≤ `max_select`;
every option chosen is active and belongs to one of the product's active groups; an option is
chosen at most once. The answer is a snapshot of each option (group, name, price delta) that
an order line keeps, so later changes to the menu never alter an order.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext

from catalog.models import ModifierGroup, ModifierOption, Product, ProductModifierGroup
from merchants.errors import DomainError
from merchants.models import Merchant


@dataclass(frozen=True)
class ModifierChoice:
    """One option chosen for a line, as the line keeps it."""

    option_id: int
    group_id: int
    group_name: str
    name: str
    price_delta: Decimal

    def snapshot(self) -> dict:
        return {
            "id": self.option_id,
            "group_id": self.group_id,
            "group": self.group_name,
            "name": self.name,
            "price_delta": f"{self.price_delta:.2f}",
        }

    @classmethod
    def from_snapshot(cls, data: dict) -> "ModifierChoice":
        return cls(
            option_id=data["id"],
            group_id=data["group_id"],
            group_name=data["group"],
            name=data["name"],
            price_delta=Decimal(data["price_delta"]),
        )


@dataclass(frozen=True)
class ModifierSelection:
    """What one line asks for: its product and the option ids sent (in the order sent)."""

    product: Product
    option_ids: Sequence[int] = ()


def with_modifier_flag(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """Each product's `has_modifier_groups` (an active group offered), read with the product,
    so lines of products without groups cost no query for them."""
    return queryset.annotate(
        has_modifier_groups=Exists(
            ProductModifierGroup.objects.filter(product=OuterRef("pk"), group__is_active=True)
        )
    )


def modifier_choices_resolve(
    *, merchant: Merchant, selections: Sequence[ModifierSelection]
) -> list[tuple[ModifierChoice, ...]]:
    """The options of each line, checked against the rule above; a 400 names the line, the
    product and the group otherwise. One query for the products' groups, one for the options
    chosen (none when no line chose any, nor for products known to have no group)."""
    groups_of: dict[int, list[ModifierGroup]] = {s.product.pk: [] for s in selections}
    # Products loaded `with_modifier_flag` that have no group need no look-up.
    with_groups = {
        s.product.pk for s in selections if getattr(s.product, "has_modifier_groups", True)
    }
    if with_groups:
        links = (
            ProductModifierGroup.objects.filter(product_id__in=with_groups, group__is_active=True)
            .select_related("group")
            .order_by("sort_order", "pk")
        )
        for link in links:
            groups_of[link.product_id].append(link.group)
    wanted = {pk for selection in selections for pk in selection.option_ids}
    options: dict[int, ModifierOption] = {}
    if wanted:
        options = {
            option.pk: option
            for option in ModifierOption.objects.filter(
                pk__in=wanted, group__merchant=merchant
            ).select_related("group")
        }
    errors: dict[str, list[str]] = {}
    resolved = []
    for index, selection in enumerate(selections):
        problems, choices = _check_line(selection, groups_of[selection.product.pk], options)
        if problems:
            errors[str(index)] = problems
        resolved.append(choices)
    if errors:
        first_index, first = next(iter(errors.items()))
        name = selections[int(first_index)].product.name
        raise DomainError(
            gettext("Line %(value)s (%(name)s): %(value2)s")
            % {"value": int(first_index) + 1, "name": name, "value2": first[0]},
            details={"lines": {i: {"modifier_option_ids": p} for i, p in errors.items()}},
        )
    return resolved


def _check_line(
    selection: ModifierSelection,
    groups: list[ModifierGroup],
    options: dict[int, ModifierOption],
) -> tuple[list[str], tuple[ModifierChoice, ...]]:
    product = selection.product
    by_group = {group.pk: group for group in groups}
    chosen: dict[int, list[ModifierOption]] = {group.pk: [] for group in groups}
    problems: list[str] = []
    seen: set[int] = set()
    for pk in selection.option_ids:
        option = options.get(pk)
        if pk in seen:
            problems.append(f"option {pk} is chosen twice.")
            continue
        seen.add(pk)
        if option is None:
            # Another merchant's option is as unknown as one that never existed.
            problems.append(gettext("there is no option %(pk)s.") % {"pk": pk})
        elif option.group_id not in by_group:
            problems.append(
                gettext("%(group)s: %(option)s is not offered with %(product)s.")
                % {"group": option.group.name, "option": option.name, "product": product.name}
            )
        elif not option.is_active:
            group = by_group[option.group_id].name
            problems.append(f"{group}: {option.name} is not available right now.")
        else:
            chosen[option.group_id].append(option)
    for group in groups:
        count = len(chosen[group.pk])
        if not group.min_select <= count <= group.max_select:
            problems.append(f"{group.name}: {group.rule_text()}; {count} chosen.")
    choices = tuple(
        ModifierChoice(
            option_id=option.pk,
            group_id=group.pk,
            group_name=group.name,
            name=option.name,
            price_delta=option.price_delta,
        )
        for group in groups
        for option in chosen[group.pk]
    )
    return problems, choices
