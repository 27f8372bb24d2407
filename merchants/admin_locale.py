"""Money and times in the admin as the merchant's people read them.

- Money: a read-only money column or field (a DecimalField named `amount`, `amount_paid`,
  `*_amount` or `*_price`, `price_delta`, or one the admin names in its `money_fields`, as a
  shift's `opening_cash` and `difference`) is shown through `merchants.money.format_money` in
  the reader's language (`Rp 46.000` in Indonesian, `IDR 46,000` in English), in the currency
  of its row (the row's `currency`, its order's, else its merchant's). Editable inputs stay
  plain numbers, and CSV exports keep plain numbers.
- Times: list and change pages show datetimes in the merchant's time zone: the object's
  merchant on a change page; on a list, the user's only merchant or the one filtered on. The
  page says which zone (`time_zone_note`, drawn by templates/admin/base_site.html).

Both are mixed into the scoped admin bases (merchants/admin_base.py), so every admin gets
them without code of its own.
"""

import re
import zoneinfo

from django.conf import settings
from django.contrib.admin.utils import flatten_fieldsets
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext

from merchants.money import DEFAULT_CURRENCY, format_money

MONEY_SUFFIX = "__money"


def is_money_field(field) -> bool:
    if not isinstance(field, models.DecimalField):
        return False
    name = field.name
    return name in {"amount", "amount_paid", "price_delta"} or name.endswith(("_amount", "_price"))


CURRENCY_RELATIONS = ("order", "session", "product", "merchant")


def currency_path(model) -> str | None:
    """The foreign key that leads to the currency of `model`'s amounts, when it has no
    `currency` of its own (an order line: its order's)."""
    if _field(model, "currency") is not None:
        return None
    for relation in CURRENCY_RELATIONS:
        field = _field(model, relation)
        if field is not None and field.many_to_one:
            return relation
    return None


def currency_of(obj) -> str:
    """The currency an object's amounts are in: its own, else its order's, session's,
    product's or merchant's (joined by the admin's queryset, see `MoneyDisplayMixin`)."""
    currency = getattr(obj, "currency", None)
    if isinstance(currency, str) and currency:
        return currency
    relation = currency_path(type(obj))
    related = getattr(obj, relation, None) if relation else None
    return currency_of(related) if related is not None else DEFAULT_CURRENCY


def _field(model, name):
    try:
        return model._meta.get_field(name)
    except Exception:
        return None


def _money_display(field):
    def display(obj):
        value = getattr(obj, field.name)
        return "—" if value is None else format_money(value, currency_of(obj))

    display.short_description = capfirst(field.verbose_name)
    display.admin_order_field = field.name
    display.__name__ = field.name + MONEY_SUFFIX
    return display


class MoneyDisplayMixin:
    """Read-only money shown as money (see the module's docstring).

    `money_fields`: the names of this admin's money DecimalFields that the naming rule of
    `is_money_field` misses (a shift's `counted_cash`, `difference`).
    """

    money_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._money_fields = {
            field.name
            for field in self.model._meta.get_fields()
            if is_money_field(field)
            or (field.name in self.money_fields and isinstance(field, models.DecimalField))
        }
        for field in self.model._meta.get_fields():
            if field.name in self._money_fields:
                setattr(self, field.name + MONEY_SUFFIX, _money_display(field))

    def _currency_relation(self) -> str | None:
        return currency_path(self.model) if self._money_fields else None

    def get_list_select_related(self, request):
        # The currency's row joined, so money columns cost no query per row. (Not in
        # get_queryset: a changelist ignores list_select_related once the queryset joins.)
        joined = super().get_list_select_related(request)
        relation = self._currency_relation()
        if relation and isinstance(joined, list | tuple) and relation not in joined:
            return (*joined, relation)
        return joined

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        relation = self._currency_relation()
        if relation and not hasattr(self, "list_select_related"):  # an inline's rows
            return queryset.select_related(relation)
        return queryset

    def _as_money(self, names, readonly=None):
        return tuple(
            name + MONEY_SUFFIX
            if isinstance(name, str)
            and name in self._money_fields
            and (readonly is None or name in readonly)
            else name
            for name in names
        )

    def get_list_display(self, request):
        return self._as_money(super().get_list_display(request))

    def get_readonly_fields(self, request, obj=None):
        return self._as_money(super().get_readonly_fields(request, obj))

    def _readonly_names(self, request, obj):
        return set(super().get_readonly_fields(request, obj))

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return self._as_money(fields, self._readonly_names(request, obj))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self._money_fields or not set(flatten_fieldsets(fieldsets)) & self._money_fields:
            return fieldsets
        readonly = self._readonly_names(request, obj)
        changed = []
        for title, options in fieldsets:
            options = dict(options)
            options["fields"] = tuple(
                self._as_money(line, readonly)
                if isinstance(line, list | tuple)
                else self._as_money((line,), readonly)[0]
                for line in options.get("fields", ())
            )
            changed.append((title, options))
        return changed


# --- time zones ---------------------------------------------------------------------------------


def _zone(name: str | None):
    try:
        return zoneinfo.ZoneInfo(name) if name else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def _loaded_merchant(row):
    """The merchant of a row when it is already loaded (the row itself, or joined): never a
    query, so the pages' query counts stay as they are."""
    from merchants.models import Merchant

    if isinstance(row, Merchant):
        return row
    return getattr(row, "_state", None) and row._state.fields_cache.get("merchant")


def _list_merchant_zone(request) -> str | None:
    """The time zone of the one merchant a list is about, when its rows do not say: the one
    it is filtered on (`merchant__id__exact`), else the user's only merchant; None for the
    operator's unfiltered lists and someone with several merchants. A query at most, and none
    when the user's memberships were read with their merchants."""
    from merchants.admin_base import merchant_ids_of
    from merchants.models import Merchant

    user = request.user
    allowed = None if user.is_superuser else merchant_ids_of(request)
    wanted = request.GET.get("merchant__id__exact", "")
    if re.fullmatch(r"[0-9]{1,18}", wanted) and (allowed is None or int(wanted) in allowed):
        merchant_id = int(wanted)
    elif allowed is not None and len(allowed) == 1:
        merchant_id = allowed[0]
    else:
        return None
    for membership in getattr(user, "_staff_memberships", None) or ():
        if membership.merchant_id == merchant_id:
            return membership.merchant.time_zone
    return Merchant.objects.filter(pk=merchant_id).values_list("time_zone", flat=True).first()


class MerchantTimeZoneMixin:
    """List and change pages in the merchant's time zone, saying which.

    A list is shown in its rows' merchant's zone when they all have the same one (a
    one-merchant owner, or a list filtered on a merchant); when its rows do not say (an empty
    list), in the zone of the merchant it is filtered on, else of the user's only merchant; a
    change page in its object's merchant's zone; else the server's (TIME_ZONE).
    """

    def _render_in(self, zone, response):
        zone = zone or _zone(settings.TIME_ZONE)
        if getattr(response, "context_data", None) is not None:
            response.context_data["time_zone_note"] = gettext("Times in %(zone)s") % {
                "zone": str(zone)
            }
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            with timezone.override(zone):
                response.render()
        return response

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is None:
            return response
        zones = {
            merchant.time_zone
            for row in changelist.result_list  # evaluated once; the template reuses the rows
            if (merchant := _loaded_merchant(row)) is not None
        }
        if not zones:  # nothing the rows say: the merchant the list is about, if one
            zones = {zone} if (zone := _list_merchant_zone(request)) else set()
        return self._render_in(_zone(zones.pop()) if len(zones) == 1 else None, response)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        response = super().render_change_form(request, context, add, change, form_url, obj)
        zone = None
        if obj is not None:
            from merchants.tenancy import merchant_of

            owner = merchant_of(obj)
            zone = _zone(owner.time_zone) if owner is not None else None
        return self._render_in(zone, response)
