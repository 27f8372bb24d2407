"""The admin shows each owner the sections of their kind of business; the operator sees all."""

import pytest
from django.urls import reverse

from merchants.models import Merchant
from merchants.tests.factories import MembershipFactory, MerchantFactory

pytestmark = pytest.mark.django_db


def sections(client) -> dict[str, set[str]]:
    page = client.get(reverse("admin:index"))
    assert page.status_code == 200
    return {
        app["app_label"]: {m["object_name"] for m in app["models"]}
        for app in page.context["available_apps"]
    }


def test_a_cafe_owner_sees_no_photobox(client, owner):
    client.force_login(owner)
    seen = sections(client)
    assert "photobox" not in seen
    assert {"orders", "catalog"} <= set(seen)
    assert "TableLocation" in seen["merchants"]


def test_a_photobox_owner_sees_no_cafe_sections(client, django_user_model):
    booth = MerchantFactory(business_type=Merchant.BusinessType.PHOTOBOX)
    user = django_user_model.objects.create_user("booth", password="x", is_staff=True)
    MembershipFactory(user=user, merchant=booth, role=100)
    client.force_login(user)
    seen = sections(client)
    assert "photobox" in seen
    assert not {"orders", "catalog"} & set(seen)
    assert "TableLocation" not in seen.get("merchants", set())
    assert "PaymentMethod" not in seen.get("payments", set())
    assert "Payment" in seen["payments"]


def test_the_operator_sees_every_section(client, operator):
    client.force_login(operator)
    assert {"orders", "catalog", "photobox"} <= set(sections(client))
