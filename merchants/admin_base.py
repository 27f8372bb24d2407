"""The tenant-scoped base for admin classes: all admin scoping lives here.

Querysets, foreign-key and many-to-many choices (so autocomplete and crafted POSTs too), list
filters and object permissions follow the user's memberships. The operator (superuser) sees all.
Permissions come from membership roles, not Django's per-model permissions.
"""

from django.contrib import admin
from django.db.models import ForeignKey, ManyToManyField
from django.utils.translation import gettext

from merchants.admin_locale import MerchantTimeZoneMixin, MoneyDisplayMixin
from merchants.models import Membership, Merchant
from merchants.tenancy import (
    is_tenant_model,
    merchant_filter,
    merchant_of,
    roles_by_merchant,
    scope_to_merchants,
)

Role = Membership.Role


def merchant_ids_of(request, min_role: int = Role.OFFICER) -> list[int]:
    """The merchants the admin user has at least `min_role` at (not meaningful for operators)."""
    return [mid for mid, role in roles_by_merchant(request.user).items() if role >= min_role]


def single_merchant(request) -> bool:
    """The user works for one merchant only (the operator never counts as such)."""
    return not request.user.is_superuser and len(merchant_ids_of(request)) <= 1


class MerchantScopedRelatedFilter(admin.RelatedFieldListFilter):
    """A list filter on a merchant or another tenant-owned row (a kiosk, a category): the rows
    of the user's merchants (every one for the operator), read from their own small table.

    Django's RelatedOnlyFieldListFilter offers only the rows the list refers to, and finds them
    by reading every row of the list (`WHERE id IN (SELECT location_id FROM
    photobox_photosession ...)`) on each view of the page. Here a choice the list does not use
    (a kiosk without sessions yet) is offered too, and opens an empty list.
    """

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin)
        limit = None
        if not request.user.is_superuser:
            related, merchant_ids = field.remote_field.model, merchant_ids_of(request)
            limit = (
                {"pk__in": merchant_ids}
                if related is Merchant
                else merchant_filter(related, merchant_ids)
            )
        return field.get_choices(include_blank=False, limit_choices_to=limit, ordering=ordering)


class TenantConsistencyFormMixin:
    """Every tenant-owned choice on one form must belong to the same merchant."""

    def clean(self):
        cleaned = super().clean()
        merchants = {}
        for name, value in cleaned.items():
            values = (
                list(value)
                if hasattr(value, "__iter__") and not isinstance(value, str)
                else [value]
            )
            for item in values:
                if isinstance(item, Merchant):
                    merchants.setdefault(item.pk, name)
                elif item is not None and is_tenant_model(type(item)):
                    owner = merchant_of(item)
                    if owner is not None:
                        merchants.setdefault(owner.pk, name)
        if len(merchants) > 1:
            field = list(merchants.values())[-1]
            self.add_error(
                field, gettext("This belongs to another merchant than the rest of the form.")
            )
        return cleaned


class MerchantScopedPermissionsMixin:
    view_role: int = Role.OFFICER
    add_role: int = Role.OWNER
    change_role: int = Role.OWNER
    delete_role: int = Role.OWNER

    def _has_role(self, request, role: int, obj=None) -> bool:
        if request.user.is_superuser:
            return True
        if not request.user.is_active or not request.user.is_staff:
            return False
        roles = roles_by_merchant(request.user)
        if obj is None:
            return any(level >= role for level in roles.values())
        owner = merchant_of(obj)
        return owner is not None and roles.get(owner.pk, 0) >= role

    def has_module_permission(self, request):
        return self._has_role(request, self.view_role)

    def has_view_permission(self, request, obj=None):
        return self._has_role(request, self.view_role, obj) or self.has_change_permission(
            request, obj
        )

    def has_add_permission(self, request, obj=None):
        return self._has_role(request, self.add_role, obj)

    def has_change_permission(self, request, obj=None):
        return self._has_role(request, self.change_role, obj)

    def has_delete_permission(self, request, obj=None):
        return self._has_role(request, self.delete_role, obj)

    def scoped_choices(self, request, model, queryset=None):
        queryset = queryset if queryset is not None else model._default_manager.all()
        if request.user.is_superuser:
            return queryset
        if model is Merchant:
            # Only where the user may create or change things.
            return queryset.filter(pk__in=merchant_ids_of(request, self.add_role))
        return scope_to_merchants(queryset, merchant_ids_of(request))

    def formfield_for_foreignkey(self, db_field: ForeignKey, request, **kwargs):
        model = db_field.remote_field.model
        if model is Merchant or is_tenant_model(model):
            kwargs["queryset"] = self.scoped_choices(request, model, kwargs.get("queryset"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: ManyToManyField, request, **kwargs):
        model = db_field.remote_field.model
        if model is Merchant or is_tenant_model(model):
            kwargs["queryset"] = self.scoped_choices(request, model, kwargs.get("queryset"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ReadOnlyPermissionsMixin:
    """Nobody adds, edits or deletes here, whatever their role: a trail or a record that
    changes only through services. Put it before the scoped admin or inline base."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OperatorOnlyAdminMixin:
    """The platform operator's pages: nobody else sees them; nobody edits a row by hand."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class MerchantScopedAdmin(
    MerchantTimeZoneMixin, MoneyDisplayMixin, MerchantScopedPermissionsMixin, admin.ModelAdmin
):
    """Base for every ModelAdmin of a tenant-owned model.

    Money reads as money and times in the merchant's zone (merchants/admin_locale.py).

    `bounded_date_hierarchy = True` on a table that grows: the `date_hierarchy` drill-down
    lists every year, and within a year every month, from the first date to the last (MIN and
    MAX, two reads of an index on the merchant and the date) instead of Django's `SELECT
    DISTINCT` over every row (merchants/templatetags/admin_dates.py; drawn by the changelist
    template in templates/admin/change_list.html, so no admin needs a template of its own).
    """

    bounded_date_hierarchy: bool = False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return scope_to_merchants(queryset, merchant_ids_of(request))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # Subclass first: a ModelForm subclass rebuilds its model fields, which would drop the
        # initial value and the disabled flag set below.
        form = type(form.__name__, (TenantConsistencyFormMixin, form), {})
        merchant_field = form.base_fields.get("merchant")
        if merchant_field is not None and not request.user.is_superuser:
            choices = list(merchant_field.queryset)
            if len(choices) == 1 and obj is None:
                # One merchant: show it, but nothing to choose (and nothing to forge).
                merchant_field.initial = choices[0].pk
                merchant_field.disabled = True
            elif obj is not None:
                merchant_field.disabled = True
        return form

    def get_list_display(self, request):
        # Someone with one merchant learns nothing from a column that always says its name.
        columns = super().get_list_display(request)
        if single_merchant(request):
            columns = tuple(name for name in columns if name != "merchant")
        return columns

    def get_list_filter(self, request):
        filters = []
        single = single_merchant(request)
        for item in super().get_list_filter(request):
            if isinstance(item, str) and "__" not in item:
                field = self.model._meta.get_field(item)
                related = getattr(field, "related_model", None)
                if related is Merchant and single:
                    continue
                if related is not None and (related is Merchant or is_tenant_model(related)):
                    # The user's merchants' rows only, never every merchant's names.
                    item = (item, MerchantScopedRelatedFilter)
            filters.append(item)
        return filters


class MerchantScopedInlineMixin(MoneyDisplayMixin, MerchantScopedPermissionsMixin):
    """Base for inlines: choices scoped; permissions follow the parent object's merchant."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = type(formset.form.__name__, (TenantConsistencyFormMixin, formset.form), {})
        return formset


class MerchantScopedTabularInline(MerchantScopedInlineMixin, admin.TabularInline):
    pass


class MerchantScopedStackedInline(MerchantScopedInlineMixin, admin.StackedInline):
    pass
