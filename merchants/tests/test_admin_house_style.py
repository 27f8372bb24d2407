"""The house style's changelist rules, over every admin of ours (Django's own and the
libraries' admins are left as they come): explicit joins, a search widget for each foreign key,
no second count on big tables, money and status read-only."""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.db.models import DecimalField, ForeignKey, UniqueConstraint

from merchants.models import Merchant

pytestmark = pytest.mark.django_db

OURS = [  # the apps at the root of the repository, not those installed in its virtualenv
    model_admin
    for model_admin in admin.site._registry.values()
    if Path(model_admin.model._meta.app_config.path).parent == Path(settings.BASE_DIR)
]
# Tables with a row per sale, payment, event, photo, shopper or sign-in email.
BIG_TABLES = {
    "payments.payment",
    "payments.paymentevent",
    "orders.order",
    "orders.orderevent",
    "photobox.photosession",
    "photobox.photo",
    "customers.loginchallenge",
    "customers.customer",
}
# Prices an owner sets, not money that changed hands.
PRICES = {("photobox.kioskprice", "amount")}


def _label(model_admin) -> str:
    return model_admin.model._meta.label_lower


@pytest.fixture
def operator_request(rf, operator):
    request = rf.get("/admin/")
    request.user = operator
    return request


def _forms(model_admin, request):
    """(admin or inline, the fields a person fills in) for the admin's form and its inlines'."""
    yield model_admin, set(model_admin.get_form(request, None, change=True).base_fields)
    for inline in model_admin.get_inline_instances(request):
        formset = inline.get_formset(request, None)
        # The inline's own link to the object of the page is a hidden field.
        yield inline, set(formset.form.base_fields) - {formset.fk.name}


def test_every_changelist_names_what_it_joins():
    implicit = [_label(ma) for ma in OURS if not isinstance(ma.list_select_related, tuple)]
    assert implicit == []


def test_every_foreign_key_on_a_form_is_searched_not_listed(operator_request):
    # The merchant is the exception: a short list of the user's own merchants, fixed (and
    # shown disabled) when there is one, never another's.
    listed = []
    for model_admin in OURS:
        for owner, names in _forms(model_admin, operator_request):
            widgets = {*owner.autocomplete_fields, *owner.raw_id_fields}
            for name in names:
                field = next((f for f in owner.model._meta.fields if f.name == name), None)
                if not isinstance(field, ForeignKey) or field.related_model is Merchant:
                    continue
                if name not in widgets:
                    listed.append(f"{owner.model._meta.label_lower}.{name}")
    assert listed == []


def _indexed(model, name: str) -> bool:
    """Is `name` indexed on its own, or right after the merchant?"""
    field = model._meta.get_field(name)
    if field.db_index or field.unique:
        return True
    starts = [list(index.fields) for index in model._meta.indexes]
    starts += [list(c.fields) for c in model._meta.constraints if isinstance(c, UniqueConstraint)]
    merchant = getattr(model, "merchant_lookup", None)
    leading = ([name], [merchant, name])
    return any(
        [f.lstrip("-") for f in fields[: len(lead)]] == lead
        for fields in starts
        for lead in leading
    )


def test_every_date_hierarchy_is_on_an_indexed_date():
    with_dates = [ma for ma in OURS if ma.date_hierarchy]
    assert len(with_dates) >= 5
    unindexed = [_label(ma) for ma in with_dates if not _indexed(ma.model, ma.date_hierarchy)]
    assert unindexed == []


def test_big_tables_are_not_counted_twice_per_page():
    registered = {_label(model_admin): model_admin for model_admin in OURS}
    assert {"payments.payment", "orders.order", "photobox.photosession"} <= set(registered)
    counted = [
        label for label in BIG_TABLES & set(registered) if registered[label].show_full_result_count
    ]
    assert counted == []


def _is_money_or_status(field) -> bool:
    if field.name == "status" or field.name.endswith("_status"):
        return True
    amount = field.name == "amount" or field.name.endswith("_amount")
    return amount and isinstance(field, DecimalField)


def test_money_and_status_are_never_form_fields(operator_request):
    # They change only through actions that call the services (which check the move, lock the
    # row and write the event); the operator, who may edit the most, sees them read-only too.
    editable = set()
    for model_admin in OURS:
        for owner, names in _forms(model_admin, operator_request):
            for field in owner.model._meta.fields:
                if field.name in names and _is_money_or_status(field):
                    editable.add((owner.model._meta.label_lower, field.name))
    # The prices are found (so the check does read the forms), and nothing else is.
    assert editable == PRICES
