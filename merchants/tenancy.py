"""Which merchant a staff request acts for, and what role the caller has there.

The one rule the API and the admin share: a tenant-owned queryset is only ever narrowed with
`scope_to_merchant` / `scope_to_merchants`, which follow the model's `merchant_lookup`.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Model, QuerySet
from django.utils.translation import gettext

from merchants import auth_cache
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
        remembered = getattr(user, "_staff_memberships", None)
        if remembered is not None:
            rows = [(m.merchant_id, m.role, m.merchant.business_type) for m in remembered]
        else:
            rows = list(
                _active_memberships(user).values_list(
                    "merchant_id", "role", "merchant__business_type"
                )
            )
        cached = {merchant_id: role for merchant_id, role, _ in rows}
        user._merchant_roles = cached
        user._merchant_business_types = {kind for _, _, kind in rows}
    return cached


def business_types_of(user) -> set[str]:
    """The business types of the user's active merchants (read with the roles, no query more)."""
    if getattr(user, "_merchant_business_types", None) is None:
        user._merchant_roles = None
        roles_by_merchant(user)
    return user._merchant_business_types


def active_memberships_with_merchants(user) -> list[Membership]:
    """The active memberships with their merchants (one query)."""
    return list(_active_memberships(user).select_related("merchant"))


def _memberships_with_merchants(user) -> list[Membership]:
    """The active memberships with their merchants: as the token's authentication read them
    (merchants/auth_cache.py), else fresh (one query); refreshes the roles cache."""
    memberships = getattr(user, "_staff_memberships", None)
    if memberships is None:
        memberships = active_memberships_with_merchants(user)
        remembered = getattr(user, "_staff_auth", None)
        if remembered is not None:  # a token's authentication: keep them with it
            user._staff_memberships = memberships
            auth_cache.remember_memberships(*remembered, user=user, memberships=memberships)
    user._merchant_roles = {membership.merchant_id: membership.role for membership in memberships}
    user._merchant_business_types = {
        membership.merchant.business_type for membership in memberships
    }
    return memberships


# What X-Merchant may hold: an id a bigint column can hold, or a slug. Anything else (a "²",
# which str.isdigit() accepts, a NUL, which PostgreSQL refuses) names no merchant.
_MERCHANT_ID = re.compile(r"[0-9]{1,18}")
_MERCHANT_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,60}")


def _merchant_named(value: str, user=None) -> Merchant | None:
    by_id = bool(_MERCHANT_ID.fullmatch(value))
    for membership in getattr(user, "_staff_memberships", None) or ():
        if value == (str(membership.merchant_id) if by_id else membership.merchant.slug):
            return membership.merchant  # one of the caller's own: no query
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
        merchant = _merchant_named(header_value, user)
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
