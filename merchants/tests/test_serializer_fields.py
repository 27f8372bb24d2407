"""Model serializers build their fields once per class and language and copy them for each use:
each serializer still gets fields of its own, scoped to its own merchant, in its own language."""

from unittest import mock

import pytest
from django.utils import translation
from rest_framework import serializers

from catalog.api.serializers import ProductSerializer
from catalog.tests.factories import ProductCategoryFactory
from merchants.api import base
from merchants.models import Merchant
from merchants.tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db


class SlugSerializer(base.ModelSerializer):
    class Meta:
        model = Merchant
        fields = ["slug"]


def forget(cls) -> None:
    for key in [key for key in base._FIELD_TEMPLATES if key[0] is cls]:
        del base._FIELD_TEMPLATES[key]


def test_fields_are_built_once_and_each_serializer_gets_its_own():
    forget(ProductSerializer)
    built = serializers.ModelSerializer.get_fields
    with mock.patch.object(
        serializers.ModelSerializer, "get_fields", autospec=True, side_effect=built
    ) as build:
        first, second = ProductSerializer(), ProductSerializer()
        first_fields, second_fields = first.fields, second.fields
    assert build.call_count == 1
    assert list(first_fields) == list(second_fields)
    for name in first_fields:
        assert first_fields[name] is not second_fields[name], name
        assert first_fields[name].parent is first
        assert second_fields[name].parent is second


def test_each_serializer_scopes_its_own_copy_to_its_merchant():
    shop, other = MerchantFactory(), MerchantFactory()
    mine = ProductCategoryFactory(merchant=shop)
    theirs = ProductCategoryFactory(merchant=other)

    def categories(merchant=None):
        context = {"merchant": merchant} if merchant else {}
        return set(ProductSerializer(context=context).fields["category"].queryset.all())

    assert categories(shop) == {mine}
    assert categories(other) == {theirs}
    assert categories() == {mine, theirs}  # the template itself was never scoped


def test_a_message_formatted_when_the_field_is_built_follows_the_language():
    MerchantFactory(slug="kopi-kita")
    forget(SlugSerializer)
    answers = {}
    for language in ("en", "id", "en"):
        with translation.override(language):
            serializer = SlugSerializer(data={"slug": "kopi-kita"})
            assert not serializer.is_valid()
            answers.setdefault(language, set()).add(str(serializer.errors["slug"][0]))
    assert answers["en"] == {"merchant with this slug already exists."}
    (indonesian,) = answers["id"]
    assert "already exists" not in indonesian
    assert "slug" in indonesian
