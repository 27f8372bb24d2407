"""Rows of a list without DRF's per-field work: the same JSON, a fraction of the time.

DRF represents every field of every row through `get_attribute()` (a walk over the source's
parts with its error handling), a None check and `to_representation()`: a few microseconds a
field, most of a 100-row page of a 24-field serializer. `fast_rows()` plans each serializer
field once per list and then reads plain attributes directly for the simple kinds (text,
integers, booleans, choices, decimals, moments, related ids), formatting exactly as DRF does
(decimals are memoised per value: prices repeat); any other field (method fields, custom
fields, nested serializers) goes through DRF as before, nested lists of plain serializers
through `fast_rows()` again.

The plan of one of the product's model serializers (`merchants.api.base.ModelSerializer`,
fields not changed per instance) is worked out once per class and language, as recipes: a
simple field's getter is made again from a field bound once (nothing of the request in it), a
method field calls the method of the serializer at hand, a nested list plans its child class the
same way, and only the few other fields are copied and bound to the serializer at hand. So an
answer no longer copies every field of its serializers (an order's 80 fields, with its lines,
payments and events) to read a dozen of them through DRF.

The tests `catalog/tests/test_rows.py`, `orders/tests/test_rows.py` and the catalog's and
orders' answer tests compare the bytes with DRF's own output.
"""

import copy
from collections.abc import Callable, Iterable

from django.db import models
from django.utils import translation
from rest_framework import ISO_8601, relations, serializers
from rest_framework import fields as drf
from rest_framework.settings import api_settings

from merchants.api.base import MerchantScopedSerializerMixin, ModelSerializer

Getter = Callable[[object], object]


def _attr(field) -> str | None:
    """The one attribute a field reads, or None when DRF must do it."""
    source = field.source_attrs
    if len(source) != 1 or field.source == "*" or field.default is not drf.empty:
        return None  # a path, the whole object, or a default for a missing attribute
    return source[0]


def _text(name: str) -> Getter:
    def get(obj):
        value = getattr(obj, name)
        return None if value is None else str(value)

    return get


def _integer(name: str) -> Getter:
    def get(obj):
        value = getattr(obj, name)
        return None if value is None else int(value)

    return get


def _boolean(name: str, field: drf.BooleanField) -> Getter:
    def get(obj):
        value = getattr(obj, name)
        if value is True or value is False:
            return value
        return None if value is None else field.to_representation(value)

    return get


def _memoised(name: str, field) -> Getter:
    seen: dict = {}

    def get(obj):
        value = getattr(obj, name)
        if value is None:
            return None
        try:
            return seen[value]
        except KeyError:
            shown = seen[value] = field.to_representation(value)
            return shown

    return get


def _formatted(name: str, field) -> Getter:
    def get(obj):
        value = getattr(obj, name)
        return None if value is None else field.to_representation(value)

    return get


def _moment(name: str, field: drf.DateTimeField) -> Getter:
    """DRF's ISO 8601 moment in the field's (or the request's) time zone, that zone looked up
    once per list rather than once per value; anything unusual goes through DRF."""
    output = getattr(field, "format", api_settings.DATETIME_FORMAT)
    zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
    if zone is None or output is None or output.lower() != ISO_8601:
        return _formatted(name, field)

    def get(obj):
        value = getattr(obj, name)
        if not value:
            return None
        if isinstance(value, str) or value.tzinfo is None:
            return field.to_representation(value)
        shown = value.astimezone(zone).isoformat()
        return shown[:-6] + "Z" if shown.endswith("+00:00") else shown

    return get


def _related_id(name: str, field) -> Getter:
    attname = f"{name}_id"
    pk_field = field.pk_field

    def get(obj):
        value = getattr(obj, attname)
        if value is None or pk_field is None:
            return value
        return pk_field.to_representation(value)

    return get


def _nested_list(field: serializers.ListSerializer) -> Getter:
    return _nested_list_of(field, field.child)


def _nested_list_of(field: serializers.ListSerializer, child: serializers.Serializer) -> Getter:
    plan = _plan(child)  # once per list, not once per row

    def get(obj):
        items = field.get_attribute(obj)
        if items is None:
            return None
        if isinstance(items, models.Manager):
            items = items.all()
        return [{name: get(item) for name, get in plan} for item in items]

    return get


def _through_drf(field) -> Getter:
    def get(obj):
        attribute = field.get_attribute(obj)
        check = attribute.pk if isinstance(attribute, relations.PKOnlyObject) else attribute
        return None if check is None else field.to_representation(attribute)

    return get


def _is_nested_rows(field) -> bool:
    """A list of model serializers DRF would represent row by row (planned like the parent)."""
    return (
        isinstance(field, serializers.ListSerializer)
        and type(field).to_representation is serializers.ListSerializer.to_representation
        and isinstance(field.child, serializers.ModelSerializer)  # rows are objects, not dicts
        and type(field.child).to_representation is serializers.Serializer.to_representation
    )


def _getter(field) -> Getter:
    if _is_nested_rows(field):
        return _nested_list(field)
    return _simple_getter(field) or _through_drf(field)


def _simple_getter(field) -> Getter | None:
    """A getter reading the field's one attribute directly, or None when DRF must do it."""
    kind = type(field)
    name = _attr(field)
    if name is None:
        return None
    # Exact classes only: a subclass may represent its value its own way.
    if kind in (drf.CharField, drf.EmailField, drf.URLField, drf.SlugField, drf.UUIDField):
        return _text(name)
    if kind is drf.IntegerField:
        return _integer(name)
    if kind is drf.BooleanField:
        return _boolean(name, field)
    if kind in (drf.ChoiceField, drf.DecimalField):
        return _memoised(name, field)
    if isinstance(field, drf.DateTimeField) and (
        kind.to_representation is drf.DateTimeField.to_representation
        and kind.enforce_timezone is drf.DateTimeField.enforce_timezone
    ):
        return _moment(name, field)
    if kind is drf.DateField:
        return _formatted(name, field)
    if kind is relations.PrimaryKeyRelatedField:
        return _related_id(name, field)
    return None


def fast_rows(serializer: serializers.Serializer, instances: Iterable) -> list[dict]:
    """`serializer.to_representation()` of each instance, as DRF would, without its per-field
    machinery for the simple fields."""
    plan = _plan(serializer)
    return [{name: get(obj) for name, get in plan} for obj in instances]


def _plan(serializer: serializers.Serializer) -> list[tuple[str, Getter]]:
    if not _plans_by_class(serializer):
        return [(field.field_name, _getter(field)) for field in serializer._readable_fields]
    key = (type(serializer), translation.get_language())
    recipes = _RECIPES.get(key)
    if recipes is None:
        recipes = _RECIPES[key] = _recipes(type(serializer))
    return [(name, recipe(serializer)) for name, recipe in recipes]


# --- plans worked out once per serializer class ---------------------------------------------

Recipe = Callable[[serializers.Serializer], Getter]
# (serializer class, language) -> how to make each field's getter for one serializer of it.
_RECIPES: dict[tuple[type, str | None], list[tuple[str, Recipe]]] = {}
_FIELDS_AS_BUILT = {ModelSerializer.get_fields, MerchantScopedSerializerMixin.get_fields}


def _plans_by_class(serializer: serializers.Serializer) -> bool:
    """Its fields are the class's own (built from templates, not changed per instance), so one
    plan serves every serializer of the class. A serializer whose fields were already built
    (and may have been changed) is planned from them instead."""
    return (
        isinstance(serializer, ModelSerializer)
        and type(serializer).get_fields in _FIELDS_AS_BUILT
        and "fields" not in serializer.__dict__
    )


def _recipes(serializer_class: type) -> list[tuple[str, Recipe]]:
    template = serializer_class()  # private: its fields are bound once and only read
    return [(field.field_name, _recipe(field)) for field in template._readable_fields]


def _recipe(field) -> Recipe:
    name = field.field_name
    if _is_nested_rows(field):
        child_class = type(field.child)

        def nested(serializer):
            # The child's methods see the serializer's context, as DRF's nested child does.
            return _nested_list_of(field, child_class(context=serializer.context))

        return nested
    if type(field) is serializers.SerializerMethodField:
        method_name = field.method_name
        return lambda serializer: getattr(serializer, method_name)
    if _simple_getter(field) is not None:
        return lambda serializer: _simple_getter(field)  # fresh: memos and time zone per use

    def through_drf(serializer):
        own = copy.deepcopy(field)  # DRF's copy: unbound, the arguments it was declared with
        own.bind(name, serializer)
        return _through_drf(own)

    return through_drf


class FastListSerializer(serializers.ListSerializer):
    """`many=True` built by `fast_rows()` (a serializer's `Meta.list_serializer_class`)."""

    def to_representation(self, data):
        iterable = data.all() if isinstance(data, models.manager.BaseManager) else data
        return fast_rows(self.child, iterable)


def fast_one(serializer: serializers.Serializer, instance) -> dict:
    """One object's answer through `fast_rows()` (a nested order with its lines and events)."""
    return fast_rows(serializer, [instance])[0]
