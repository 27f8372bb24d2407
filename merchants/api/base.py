"""The tenant-scoped base for staff API viewsets and serializers: all API scoping lives here."""

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy
from rest_framework import serializers, viewsets
from rest_framework.relations import ManyRelatedField, PrimaryKeyRelatedField, RelatedField
from rest_framework.views import APIView

from merchants.api.permissions import HasMerchantRole, Role, required_role_for
from merchants.money import STORED_PLACES
from merchants.tenancy import (
    MERCHANT_HEADER,
    TenantContext,
    is_tenant_model,
    resolve_tenant,
    scope_to_merchant,
)

MAX_ID = 2**63 - 1
# Detail routes only match ids a bigint can hold; anything else is a plain 404.
ID_PATTERN = r"[0-9]{1,18}"


class ModelSerializer(serializers.ModelSerializer):
    """The product's model serializer: its fields are built from the model once per class and
    language, then copied for each serializer made.

    DRF works out every field of a model serializer again for each serializer it makes (the
    model's metadata walked, each field's arguments and validators derived): about a
    millisecond for a product and four for an order with its lines and events, on every
    request. A copy is what DRF itself makes of declared fields, so each serializer still binds
    fields of its own, and the merchant's scoping (`MerchantScopedSerializerMixin`) changes only
    the copies. The language is part of the key: a unique field's message is formatted when the
    field is built.
    """

    def get_fields(self):
        key = (type(self), translation.get_language())
        templates = _FIELD_TEMPLATES.get(key)
        if templates is None:
            templates = _FIELD_TEMPLATES[key] = super().get_fields()
        return copy.deepcopy(templates)


# (serializer class, language) -> the fields DRF built for it, never bound, only copied.
_FIELD_TEMPLATES: dict[tuple[type, str | None], dict[str, serializers.Field]] = {}


class MerchantScopedSerializerMixin:
    """Limits every related-object field to the request's merchant.

    A related id of another merchant then fails validation as "object does not exist" (400),
    the same as an id that does not exist at all.
    """

    def get_fields(self):
        fields = super().get_fields()
        merchant = self.context.get("merchant")
        if merchant is None:
            return fields
        for field in fields.values():
            related = field.child_relation if isinstance(field, ManyRelatedField) else field
            if isinstance(related, PrimaryKeyRelatedField) and related.pk_field is None:
                # Reject ids no database column can hold (a 400, not an overflow error).
                related.pk_field = serializers.IntegerField(min_value=1, max_value=MAX_ID)
            if (
                isinstance(related, RelatedField)
                and related.queryset is not None
                and is_tenant_model(related.queryset.model)
            ):
                related.queryset = scope_to_merchant(related.queryset, merchant)
        return fields


class YearBoundedMixin:
    """For date and moment fields: only the years 2000 to 2100, which a shop can mean. Far-off
    years are typos, and before ~1925 Asia/Jakarta's offset had seconds (+07:07:12), which no
    client parses as RFC 3339."""

    default_error_messages = {
        "out_of_range": gettext_lazy("Use a date between the years 2000 and 2100.")
    }

    def to_internal_value(self, value):
        value = super().to_internal_value(value)
        if not 2000 <= value.year <= 2100:
            self.fail("out_of_range")
        return value


class BoundedDateTimeField(YearBoundedMixin, serializers.DateTimeField):
    """Moments a shop can mean (see `YearBoundedMixin`)."""


class MerchantScopedModelSerializer(MerchantScopedSerializerMixin, ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: BoundedDateTimeField,
    }


class ModelRulesMixin:
    """Runs the model's own `full_clean()` (the rules the admin and the import use too).

    Normalised values (e.g. a blank SKU stored as NULL) flow back into the validated data.
    """

    def validate(self, attrs):
        attrs = super().validate(attrs)
        model = self.Meta.model
        instance = self.instance or model(merchant=self.context["merchant"])
        many_to_many = {field.name for field in model._meta.many_to_many}
        for name, value in attrs.items():
            if name not in many_to_many:
                setattr(instance, name, value)
        try:
            instance.full_clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(serializers.as_serializer_error(error)) from None
        for name in attrs:
            if name not in many_to_many:
                attrs[name] = getattr(instance, name)
        return attrs


class MerchantScopedMixin:
    """Resolves the merchant once per request and scopes querysets, creates and related ids.

    Subclasses set `queryset` and may extend `get_queryset()` by calling `super()`; they never
    filter by merchant themselves. `read_role` / `write_role` / `action_roles` set who may call.
    """

    lookup_value_regex = ID_PATTERN
    read_role: int = Role.OFFICER
    write_role: int = Role.OWNER
    action_roles: dict[str, int] = {}
    # Actions a signed-in customer may call (with a customer authentication class on the
    # view); their rows are then further limited to their own through `customer_lookup`.
    customer_actions: frozenset[str] = frozenset()
    customer_lookup: str = "customer"
    customer = None
    tenant: TenantContext

    def get_permissions(self):
        return [*super().get_permissions(), HasMerchantRole()]

    def initial(self, request, *args, **kwargs):
        # Authenticate first so the tenant is resolved for the real user, then check roles.
        self.perform_authentication(request)
        user = request.user
        if user and user.is_authenticated:
            if getattr(user, "is_staff_principal", True):
                self.tenant = resolve_tenant(user, request.META.get(MERCHANT_HEADER))
            else:
                # A customer acts for the merchant their token belongs to, and only as themself.
                self.customer = user.customer
                self.tenant = TenantContext(
                    merchant=user.customer.merchant, role=0, is_operator=False
                )
        super().initial(request, *args, **kwargs)

    @property
    def merchant(self):
        return self.tenant.merchant

    def required_role(self, request) -> int:
        return required_role_for(self, request)

    def base_queryset(self):
        """The rows before scoping; override to add select_related/prefetch, never to filter."""
        return super().get_queryset()

    def get_queryset(self):
        queryset = self.base_queryset()
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()
        queryset = scope_to_merchant(queryset, self.merchant)
        if self.customer is not None:
            queryset = queryset.filter(**{self.customer_lookup: self.customer})
        return queryset

    def get_serializer_context(self):
        context = super().get_serializer_context()
        tenant = getattr(self, "tenant", None)
        if tenant is not None:
            context["merchant"] = tenant.merchant
        return context

    def perform_create(self, serializer):
        serializer.save(merchant=self.merchant)


class MerchantScopedViewSet(MerchantScopedMixin, viewsets.ModelViewSet):
    pass


class MerchantScopedReadOnlyViewSet(MerchantScopedMixin, viewsets.ReadOnlyModelViewSet):
    pass


class MerchantScopedAPIView(MerchantScopedMixin, APIView):
    """A staff endpoint that is not a model collection (reports): the merchant is resolved and
    roles are checked as for viewsets; `self.merchant` is what it may read."""


def money_field(**kwargs) -> serializers.DecimalField:
    """Money in the API: a decimal string, never a float."""
    kwargs.setdefault("max_digits", 14)
    kwargs.setdefault("decimal_places", STORED_PLACES)
    return serializers.DecimalField(**kwargs)


__all__ = [
    "MerchantScopedAPIView",
    "MerchantScopedMixin",
    "MerchantScopedModelSerializer",
    "MerchantScopedReadOnlyViewSet",
    "MerchantScopedSerializerMixin",
    "MerchantScopedViewSet",
    "ModelRulesMixin",
    "money_field",
]
