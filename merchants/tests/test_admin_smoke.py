"""Every registered admin opens for the operator, an owner and an officer, scoped to them."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from merchants.tenancy import is_tenant_model, merchant_of, scope_to_merchant

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(client):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return get_user_model().objects


def _url(model_admin, view, *args):
    meta = model_admin.model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def _open_everything(client, user):
    request = type("R", (), {"user": user})()
    failures = []
    for model_admin in admin.site._registry.values():
        if not model_admin.has_module_permission(request):
            continue
        checks = [(_url(model_admin, "changelist"), 200)]
        if model_admin.search_fields:
            checks.append((_url(model_admin, "changelist") + "?q=a", 200))
        if model_admin.has_add_permission(request):
            checks.append((_url(model_admin, "add"), 200))
        obj = model_admin.get_queryset(request).first()
        if obj is not None:
            checks.append((_url(model_admin, "change", obj.pk), 200))
        for url, expected in checks:
            status = client.get(url).status_code
            if status != expected:
                failures.append((url, status))
    return failures


@pytest.mark.parametrize("username", ["admin", "owner", "cashier"])
def test_every_admin_page_opens(demo, client, username):
    user = demo.get(username=username)
    client.force_login(user)
    assert _open_everything(client, user) == []


def test_officer_cannot_add_or_change_owner_only_models(demo, client):
    client.force_login(demo.get(username="cashier"))
    assert client.get(reverse("admin:merchants_tablelocation_add")).status_code == 403
    response = client.get(reverse("admin:merchants_tablelocation_changelist"))
    assert response.status_code == 200
    assert b"Add table location" not in response.content


def test_owner_cannot_open_another_merchants_objects(demo, client):
    from merchants.models import Merchant

    owner = demo.get(username="owner")
    foreign = Merchant.objects.get(slug="foto-ceria")
    client.force_login(owner)
    opened = 0
    for model, model_admin in admin.site._registry.items():
        if not (model is Merchant or is_tenant_model(model)):
            continue
        obj = scope_to_merchant(model._default_manager.all(), foreign).first()
        if obj is None:
            continue
        assert merchant_of(obj) == foreign
        response = client.get(_url(model_admin, "change", obj.pk))
        # Django's admin answers an object outside the queryset with a redirect to the index.
        assert response.status_code == 302, model
        assert response.url == reverse("admin:index")
        opened += 1
    assert opened >= 1


def test_changelist_hides_other_merchants_rows(demo, client):
    client.force_login(demo.get(username="owner2"))
    response = client.get(reverse("admin:merchants_tablelocation_changelist"))
    assert response.status_code == 200
    assert b"Window" not in response.content  # a Kopi Kita table


def test_officer_sees_no_operator_pages(demo, client):
    client.force_login(demo.get(username="cashier"))
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert client.get(reverse("admin:merchants_stafftoken_changelist")).status_code == 403


def test_single_merchant_owner_gets_their_merchant_fixed_on_add_forms(demo, client):
    from merchants.models import Merchant

    client.force_login(demo.get(username="owner"))
    kopi = Merchant.objects.get(slug="kopi-kita")
    response = client.get(reverse("admin:catalog_product_add"))
    field = response.context["adminform"].form.fields["merchant"]
    assert field.disabled
    assert field.initial == kopi.pk


def test_merchant_cannot_be_changed_on_an_existing_object(demo, client):
    from catalog.models import Product

    owner = demo.get(username="owner")
    client.force_login(owner)
    product = Product.objects.filter(merchant__slug="kopi-kita").first()
    response = client.get(reverse("admin:catalog_product_change", args=[product.pk]))
    assert response.context["adminform"].form.fields["merchant"].disabled
