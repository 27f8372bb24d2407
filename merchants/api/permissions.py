"""Role permissions for staff endpoints. The tenant itself is resolved by the base viewset."""

from django.utils.translation import gettext, gettext_lazy
from rest_framework.permissions import SAFE_METHODS, BasePermission

from merchants.models import Membership

Role = Membership.Role


def _is_staff_user(request) -> bool:
    user = request.user
    # Customer principals (see customers.auth) are never staff.
    return bool(user and user.is_authenticated and getattr(user, "is_staff_principal", True))


class IsOperator(BasePermission):
    """The platform operator (a superuser)."""

    message = gettext_lazy("Only the platform operator can do this.")

    def has_permission(self, request, view):
        return _is_staff_user(request) and request.user.is_superuser


class HasMerchantRole(BasePermission):
    """Reads need `view.read_role`, writes `view.write_role`; `view.action_roles` per action.

    Roles are levels: OWNER (100) includes OFFICER (10); the operator passes every check.
    """

    def has_permission(self, request, view):
        user = request.user
        if user and user.is_authenticated and not getattr(user, "is_staff_principal", True):
            if getattr(view, "action", None) in getattr(view, "customer_actions", ()):
                return True
            self.message = gettext("Customers cannot use this endpoint.")
            return False
        if not _is_staff_user(request):
            return False
        required = view.required_role(request)
        tenant = view.tenant  # resolved in the base viewset's initial()
        if tenant.has_role(required):
            return True
        self.message = gettext(
            "This needs the %(required)s role at %(merchant)s; you are %(role)s."
        ) % {
            "required": str(Role(required).label).lower(),
            "merchant": tenant.merchant.name,
            "role": str(Role(tenant.role).label).lower(),
        }
        return False


def required_role_for(view, request) -> int:
    action_roles = getattr(view, "action_roles", {}) or {}
    action = getattr(view, "action", None)
    if action in action_roles:
        return action_roles[action]
    if request.method in SAFE_METHODS:
        return view.read_role
    return view.write_role
