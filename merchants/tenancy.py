"""Which merchant a staff request acts for, and what role the caller has there.

The one rule the API and the admin share: a tenant-owned queryset is only ever narrowed with
`scope_to_merchant` / `scope_to_merchants`, which follow the model's `merchant_lookup`.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Model, QuerySet
from django.utils.translation import gettext

from merchants.errors import MerchantAccessDenied, MerchantRequired
from merchants.models import Membership, Merchant

Role = Membership.Role
MERCHANT_HEADER = "HTTP_X_MERCHANT"


def is_tenant_model(model: type[Model]) -> bool:
    return hasattr(model, "merchant_lookup")


def merchant_filter(model: type[Model], merchants) -> dict:
    """The `filter()` keywords that keep `model` rows belonging to `merchants` (one or many)."""
    lookup = model.merchant_lookup
    if isinstance(merchants, Merchant):
        return {lookup: merchants.pk} if lookup == "pk" else {lookup: merchants}
    return {f"{lookup}__in": merchants}


def scope_to_merchant(queryset: QuerySet, merchant: Merchant) -> QuerySet:
    return queryset.filter(**merchant_filter(queryset.model, merchant))


def scope_to_merchants(queryset: QuerySet, merchants: Iterable[Merchant] | QuerySet) -> QuerySet:
    return queryset.filter(**merchant_filter(queryset.model, merchants))


def merchant_of(obj: Model) -> Merchant | None:
    """Follow `merchant_lookup` on an instance (e.g. "product__merchant")."""
    if isinstance(obj, Merchant):
        return obj
    current = obj
    for part in obj.merchant_lookup.split("__"):
        current = getattr(current, part, None)
        if current is None:
            return None
    return current


@dataclass(frozen=True)
class TenantContext:
    merchant: Merchant
    role: int  # Membership.Role value; the operator acts as an owner
    is_operator: bool

    def has_role(self, required: int) -> bool:
        return self.is_operator or self.role >= required


def _active_memberships(user):
    # No default ordering: it would join auth_user for every staff request, to sort one user.
    return Membership.objects.filter(user=user, merchant__is_active=True).order_by()


def roles_by_merchant(user) -> dict[int, int]:
    """merchant id → role for every active membership of `user` (one query, cached per user)."""
    cached = getattr(user, "_merchant_roles", None)
    if cached is None:
        cached = dict(_active_memberships(user).values_list("merchant_id", "role"))
        user._merchant_roles = cached
    return cached


def _memberships_with_merchants(user) -> list[Membership]:
    """The active memberships with their merchants, fresh (one query); refreshes the roles cache."""
    memberships = list(_active_memberships(user).select_related("merchant"))
    user._merchant_roles = {membership.merchant_id: membership.role for membership in memberships}
    return memberships


# What X-Merchant may hold: an id a bigint column can hold, or a slug. Anything else (a "²",
# which str.isdigit() accepts, a NUL, which PostgreSQL refuses) names no merchant.
_MERCHANT_ID = re.compile(r"[0-9]{1,18}")
_MERCHANT_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,60}")


def _merchant_named(value: str) -> Merchant | None:
    if _MERCHANT_ID.fullmatch(value):
        return Merchant.objects.filter(pk=int(value)).first()
    if _MERCHANT_SLUG.fullmatch(value):
        return Merchant.objects.filter(slug=value).first()
    return None


def resolve_tenant(user, header_value: str | None) -> TenantContext:
    """The merchant a staff request acts for: the named one, else the user's only merchant."""
    is_operator = bool(user.is_superuser)
    header_value = (header_value or "").strip()
    if header_value:
        merchant = _merchant_named(header_value)
        if merchant is not None and is_operator:
            return TenantContext(merchant=merchant, role=Role.OWNER, is_operator=True)
        role = roles_by_merchant(user).get(merchant.pk) if merchant else None
        if role is None:
            # Same answer for "no such merchant" and "not yours": existence is not disclosed.
            raise MerchantAccessDenied(
                gettext(
                    "You have no access to merchant '%(header_value)s'. Check the "
                    "X-Merchant header (a merchant id or slug you belong to)."
                )
                % {"header_value": header_value}
            )
        return TenantContext(merchant=merchant, role=role, is_operator=False)

    if is_operator:
        raise MerchantRequired(
            gettext(
                "As the platform operator you must name a merchant in the X-Merchant header "
                "(its id or slug)."
            )
        )
    # Every staff request comes this way: the role and the merchant in one query.
    memberships = _memberships_with_merchants(user)
    if not memberships:
        raise MerchantAccessDenied(gettext("Your account is not a member of any active merchant."))
    if len(memberships) > 1:
        raise MerchantRequired(
            gettext(
                "You belong to several merchants; name one in the X-Merchant header (id or slug)."
            )
        )
    [membership] = memberships
    return TenantContext(merchant=membership.merchant, role=membership.role, is_operator=False)
