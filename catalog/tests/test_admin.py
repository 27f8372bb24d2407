from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.models import (
    ModifierGroup,
    ModifierOption,
    Product,
    ProductCategory,
    Promotion,
    StockMovement,
)
from catalog.resources import ProductResource
from catalog.stock import stock_audit_differences
from catalog.tests.factories import (
    ProductCategoryFactory,
    ProductFactory,
    ProductImageFactory,
    PromotionFactory,
)
from merchants.models import Membership
from merchants.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

MODELS = [Product, ProductCategory, Promotion]


@pytest.fixture
def operator_admin(client, operator):
    client.force_login(operator)
    return client


def admin_url(model, view, *args):
    return reverse(f"admin:catalog_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("who", ["owner_admin", "operator_admin"])
def test_changelist_search_and_add_pages_open(request, model, who, merchant):
    client = request.getfixturevalue(who)
    ProductFactory(merchant=merchant)
    PromotionFactory(merchant=merchant)
    assert client.get(admin_url(model, "changelist")).status_code == 200
    assert client.get(admin_url(model, "changelist"), {"q": "x"}).status_code == 200
    assert client.get(admin_url(model, "add")).status_code == 200


def test_product_changelist_scoped_with_previews(owner_admin, merchant, other_merchant):
    mine = ProductFactory(merchant=merchant, name="Mine")
    ProductImageFactory(product=mine, kind="thumbnail", file="merchants/1/products/1/t.png")
    ProductFactory(merchant=other_merchant, name="Theirs")
    response = owner_admin.get(admin_url(Product, "changelist"))
    content = response.content.decode()
    assert "Mine" in content
    assert "Theirs" not in content
    assert 'src="/media/merchants/1/products/1/t.png"' in content
    theirs = Product.objects.get(name="Theirs")
    assert owner_admin.get(admin_url(Product, "change", theirs.pk)).status_code == 302


def test_product_changelist_query_count_is_flat(
    owner_admin, merchant, django_assert_max_num_queries
):
    for _ in range(15):
        ProductImageFactory(product=ProductFactory(merchant=merchant), kind="thumbnail")
    with django_assert_max_num_queries(15):
        assert owner_admin.get(admin_url(Product, "changelist")).status_code == 200


@pytest.mark.parametrize(
    ("action", "field", "value"),
    [
        ("deactivate", "is_active", False),
        ("activate", "is_active", True),
        ("mark_unavailable", "is_available", False),
        ("mark_available", "is_available", True),
    ],
)
def test_bulk_actions(owner_admin, merchant, other_merchant, action, field, value):
    mine = ProductFactory.create_batch(2, merchant=merchant, **{field: not value})
    theirs = ProductFactory(merchant=other_merchant, **{field: not value})
    response = owner_admin.post(
        admin_url(Product, "changelist"),
        {"action": action, "_selected_action": [p.pk for p in [*mine, theirs]]},
    )
    assert response.status_code == 302
    assert all(getattr(p, field) is value for p in Product.objects.filter(merchant=merchant))
    theirs.refresh_from_db()
    assert getattr(theirs, field) is (not value)


def test_promotion_running_now_filter(owner_admin, merchant):
    from datetime import timedelta

    from django.utils import timezone

    PromotionFactory(merchant=merchant, name="Running promo")
    PromotionFactory(
        merchant=merchant,
        name="Future promo",
        starts_at=timezone.now() + timedelta(days=1),
        ends_at=timezone.now() + timedelta(days=2),
    )
    content = owner_admin.get(admin_url(Promotion, "changelist"), {"running": "yes"}).content
    assert b"Running promo" in content
    assert b"Future promo" not in content


def test_product_autocomplete_is_scoped(owner_admin, merchant, other_merchant):
    ProductFactory(merchant=merchant, name="Kopi mine")
    ProductFactory(merchant=other_merchant, name="Kopi theirs")
    response = owner_admin.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "catalog",
            "model_name": "promotionitem",
            "field_name": "product",
            "term": "Kopi",
        },
    )
    assert response.status_code == 200
    assert [row["text"] for row in response.json()["results"]] == ["Kopi mine"]


# --- import and export ---------------------------------------------------------------------


def csv_file(*rows: str) -> SimpleUploadedFile:
    header = "sku,name,category,base_price,tax_percent,service_charge_percent,stock,track_stock"
    return SimpleUploadedFile("products.csv", "\n".join([header, *rows]).encode(), "text/csv")


def csv_format_index() -> str:
    product_admin = admin.site._registry[Product]
    titles = [fmt().get_title() for fmt in product_admin.get_import_formats()]
    return str(titles.index("csv"))


def import_csv(client, merchant, upload):
    response = client.post(
        admin_url(Product, "import"),
        {
            "resource": "0",
            "format": csv_format_index(),
            "import_file": upload,
            "merchant": merchant.pk,
        },
    )
    assert response.status_code == 200
    return response


def confirm(client, response):
    form = response.context["confirm_form"]
    return client.post(admin_url(Product, "process_import"), form.initial)


def test_import_creates_and_updates_for_the_owners_merchant(owner_admin, merchant, other_merchant):
    ProductFactory(merchant=merchant, sku="NG-1", name="Old name", base_price=1000)
    ProductFactory(merchant=other_merchant, sku="ES-1", name="Not mine")
    ProductCategoryFactory(merchant=merchant, name="Food")
    response = import_csv(
        owner_admin,
        merchant,
        csv_file(
            "NG-1,Nasi Goreng,food,25000,10,5,0,0",
            "ES-1,Es Teh,Drinks,8000,0,0,12,1",
            ",Kerupuk,,3000,0,0,0,0",
        ),
    )
    assert response.context["result"].has_errors() is False
    assert not response.context["result"].has_validation_errors()
    assert Product.objects.filter(merchant=merchant).count() == 1  # a dry run so far
    assert confirm(owner_admin, response).status_code == 302

    products = {p.name: p for p in Product.objects.filter(merchant=merchant)}
    assert set(products) == {"Nasi Goreng", "Es Teh", "Kerupuk"}
    assert products["Nasi Goreng"].sku == "NG-1"
    assert products["Nasi Goreng"].base_price == Decimal(25000)
    assert products["Nasi Goreng"].category.name == "Food"  # matched regardless of case
    assert products["Es Teh"].category.merchant == merchant  # a new category, ours
    assert products["Es Teh"].track_stock is True
    assert products["Kerupuk"].sku is None
    assert Product.objects.get(merchant=other_merchant).name == "Not mine"


def test_stock_changed_by_an_import_is_a_count_by_the_owner(owner_admin, merchant, owner):
    croissant = ProductFactory(merchant=merchant, sku="CRO-1", track_stock=True, stock=5)
    opening = set(StockMovement.objects.values_list("pk", flat=True))
    row = "CRO-1,Croissant,,22000,0,0,{stock},1"

    response = import_csv(owner_admin, merchant, csv_file(row.format(stock=9)))
    assert confirm(owner_admin, response).status_code == 302

    [count] = StockMovement.objects.exclude(pk__in=opening)  # the dry run left nothing
    assert (count.product_id, count.kind, count.delta, count.actor) == (
        croissant.pk,
        "count",
        4,
        owner,
    )
    assert count.actor_label != "system"
    assert count.reason == "Stock set by importing products.csv"
    croissant.refresh_from_db()
    assert croissant.stock == 9
    assert stock_audit_differences() == []
    # The same number imported again is no change: nothing more in the ledger.
    confirm(owner_admin, import_csv(owner_admin, merchant, csv_file(row.format(stock=9))))
    assert StockMovement.objects.exclude(pk__in=opening).count() == 1


def test_import_with_a_bad_row_applies_nothing_and_reports_each_row(owner_admin, merchant):
    response = import_csv(
        owner_admin,
        merchant,
        csv_file(
            "A-1,Good,Food,25000,10,5,0,0",
            "A-2,Cents,Food,25000.50,0,0,0,0",
            "A-3,Too much tax,Food,1000,150,0,0,0",
            "A-1,Duplicate of the first,Food,1000,0,0,-4,0",
        ),
    )
    result = response.context["result"]
    assert result.has_validation_errors()
    invalid = {row.number: row.error_dict for row in result.invalid_rows}
    assert set(invalid) == {2, 3, 4}
    assert "whole amounts" in str(invalid[2]["base_price"])
    assert "tax_percent" in invalid[3]
    assert "stock" in invalid[4]
    content = response.content.decode()
    assert "Some rows failed to validate" in content
    assert "Prices in IDR are whole amounts" in content
    assert "confirm_form" not in response.context  # nothing to confirm
    assert not Product.objects.exists()
    assert not ProductCategory.objects.exists()


def test_resource_rolls_back_everything_on_any_invalid_row(merchant):
    import tablib

    dataset = tablib.Dataset(headers=["sku", "name", "base_price"])
    dataset.append(["X-1", "Fine", "1000"])
    dataset.append(["X-2", "Broken", "-5"])
    result = ProductResource(merchant=merchant).import_data(dataset, dry_run=False)
    assert result.has_validation_errors()
    assert not Product.objects.exists()


def test_officer_cannot_import_or_export(client, officer, merchant):
    client.force_login(officer)
    assert client.get(admin_url(Product, "import")).status_code == 403
    assert client.get(admin_url(Product, "export")).status_code == 403
    assert client.get(admin_url(Product, "changelist")).status_code == 200


def test_import_merchant_must_be_one_the_user_owns(owner_admin, merchant, other_merchant):
    response = owner_admin.post(
        admin_url(Product, "import"),
        {
            "resource": "0",
            "format": csv_format_index(),
            "import_file": csv_file("Z-1,Sneaky,,1000,0,0,0,0"),
            "merchant": other_merchant.pk,
        },
    )
    assert "merchant" in response.context["form"].errors
    assert not Product.objects.exists()


def test_owner_of_two_merchants_picks_one(client, owner, merchant, other_merchant):
    MembershipFactory(user=owner, merchant=other_merchant, role=Membership.Role.OWNER)
    client.force_login(owner)
    response = import_csv(client, other_merchant, csv_file("B-1,Bakso,,15000,0,0,0,0"))
    confirm(client, response)
    assert Product.objects.get().merchant == other_merchant


def test_export_is_scoped_and_names_categories(owner_admin, merchant, other_merchant):
    ProductFactory(merchant=merchant, name="Nasi Goreng", sku="NG-1", category__name="Food")
    ProductFactory(merchant=other_merchant, name="Not mine")
    product_admin = admin.site._registry[Product]
    titles = [fmt().get_title() for fmt in product_admin.get_export_formats()]
    response = owner_admin.post(
        admin_url(Product, "export"),
        {"format": str(titles.index("csv")), "resource": "0", **_all_export_fields()},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "Nasi Goreng" in content
    assert "Food" in content
    assert "Not mine" not in content


def test_an_export_over_the_sync_limit_is_refused_until_the_list_is_narrowed(
    owner_admin, merchant, settings
):
    """The file is built in the request: the CSV exports' EXPORT_SYNC_MAX_ROWS rule holds."""
    settings.EXPORT_SYNC_MAX_ROWS = 2
    food = ProductCategoryFactory(merchant=merchant, name="Food")
    ProductFactory(merchant=merchant, name="Nasi Goreng", category=food)
    ProductFactory(merchant=merchant, name="Mie Goreng", category=food)
    ProductFactory(merchant=merchant, name="Es Teh")
    titles = [fmt().get_title() for fmt in admin.site._registry[Product].get_export_formats()]
    form = {"format": str(titles.index("csv")), "resource": "0", **_all_export_fields()}
    url = admin_url(Product, "export")

    for response in (owner_admin.get(url), owner_admin.post(url, form)):
        assert response.status_code == 302
        assert response["Location"] == admin_url(Product, "changelist")
    page = owner_admin.get(admin_url(Product, "changelist"))
    assert "3 products are more than an export can write" in page.content.decode()

    narrowed = owner_admin.post(f"{url}?category__id__exact={food.pk}", form)
    assert narrowed.status_code == 200
    content = narrowed.content.decode()
    assert "Nasi Goreng" in content
    assert "Es Teh" not in content


def _all_export_fields():
    return {f"productresource_{name}": "on" for name in ProductResource.Meta.fields}


def _change_form_data(product, **images):
    data = {
        "merchant": product.merchant_id,
        "name": product.name,
        "description": "",
        "product_type": product.product_type,
        "category": product.category_id or "",
        "sku": "",
        "barcode": "",
        "base_price": "25000",
        "tax_percent": "10",
        "service_charge_percent": "5",
        "stock": "0",
        "low_stock_threshold": "",
        "is_available": "on",
        "is_active": "on",
        "sort_order": "0",
        "images-TOTAL_FORMS": str(len(images)),
        "images-INITIAL_FORMS": "0",
        "images-MIN_NUM_FORMS": "0",
        "images-MAX_NUM_FORMS": "4",
        "modifier_links-TOTAL_FORMS": "0",
        "modifier_links-INITIAL_FORMS": "0",
        "stock_movements-TOTAL_FORMS": "0",
        "stock_movements-INITIAL_FORMS": "0",
    }
    for index, (kind, upload) in enumerate(images.items()):
        data[f"images-{index}-kind"] = kind
        data[f"images-{index}-file"] = upload
        data[f"images-{index}-sort_order"] = "0"
    return data


def test_inline_image_upload_is_checked_by_content(owner_admin, merchant, settings):
    from merchants.tests.imagedata import upload

    product = ProductFactory(merchant=merchant)
    url = admin_url(Product, "change", product.pk)
    response = owner_admin.post(
        url, _change_form_data(product, thumbnail=upload("fake.png", b"not an image"))
    )
    assert response.status_code == 200
    assert "fake.png: this is not an image" in response.content.decode()
    assert not product.images.exists()

    response = owner_admin.post(url, _change_form_data(product, thumbnail=upload("real.png")))
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    image = product.images.get()
    assert (image.kind, image.width, image.height) == ("thumbnail", 40, 30)
    assert image.file.name.startswith(f"merchants/{merchant.pk}/products/{product.pk}/thumbnail-")
    assert image.file.name.endswith(".png")


def test_operator_imports_for_the_merchant_named(operator_admin, merchant, other_merchant):
    assert operator_admin.get(admin_url(Product, "import")).status_code == 200
    response = import_csv(operator_admin, other_merchant, csv_file("C-1,Cendol,,9000,0,0,0,0"))
    assert confirm(operator_admin, response).status_code == 302
    assert Product.objects.get().merchant == other_merchant


def test_images_added_without_a_kind_save_at_once_thumbnail_first(owner_admin, merchant):
    from merchants.tests.imagedata import upload

    product = ProductFactory(merchant=merchant)
    url = reverse("admin:catalog_product_change", args=[product.pk])
    data = _change_form_data(product, **{"": upload("a.png")})
    data.update({"images-1-kind": "", "images-1-file": upload("b.png"), "images-1-sort_order": "1"})
    data["images-TOTAL_FORMS"] = "2"
    response = owner_admin.post(url, data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    kinds = sorted(product.images.values_list("kind", flat=True))
    assert kinds == ["detail", "thumbnail"]

    # With a thumbnail already there, the next automatic image is a detail image.
    existing = list(product.images.order_by("pk"))
    data = _change_form_data(product)
    for index, image in enumerate(existing):
        data[f"images-{index}-id"] = image.pk
        data[f"images-{index}-product"] = product.pk
        data[f"images-{index}-kind"] = image.kind
        data[f"images-{index}-sort_order"] = "0"
    data.update({"images-2-kind": "", "images-2-file": upload("c.png"), "images-2-sort_order": "2"})
    data.update({"images-TOTAL_FORMS": "3", "images-INITIAL_FORMS": "2"})
    assert owner_admin.post(url, data).status_code == 302
    assert product.images.filter(kind="detail").count() == 2


def test_a_modifier_group_is_saved_with_its_options_inline(owner_admin, merchant, other_merchant):
    data = {
        "merchant": other_merchant.pk,  # forged: the owner's only merchant is fixed on the form
        "name": "Size",
        "min_select": "1",
        "max_select": "1",
        "sort_order": "0",
        "is_active": "on",
        "options-TOTAL_FORMS": "2",
        "options-INITIAL_FORMS": "0",
        "options-MIN_NUM_FORMS": "0",
        "options-MAX_NUM_FORMS": "1000",
        "options-0-name": "Regular",
        "options-0-price_delta": "0",
        "options-0-sort_order": "0",
        "options-0-is_active": "on",
        "options-1-name": "Large",
        "options-1-price_delta": "5000",
        "options-1-sort_order": "1",
        "options-1-is_active": "on",
    }
    response = owner_admin.post(admin_url(ModifierGroup, "add"), data)
    assert response.status_code == 302, response.context["errors"]
    group = ModifierGroup.objects.get()
    assert (group.merchant, group.min_select, group.max_select) == (merchant, 1, 1)
    assert [(o.name, o.price_delta) for o in group.options.all()] == [
        ("Regular", Decimal(0)),
        ("Large", Decimal(5000)),
    ]

    # A rule no one can meet is shown on the form, and nothing is saved.
    response = owner_admin.post(
        admin_url(ModifierGroup, "add"), {**data, "name": "Sugar", "min_select": "2"}
    )
    assert response.status_code == 200
    assert "max_select" in response.context["adminform"].form.errors
    assert ModifierGroup.objects.count() == 1
    assert ModifierOption.objects.count() == 2


def test_the_add_product_form_starts_with_the_merchants_tax_and_service(owner_admin, merchant):
    merchant.default_tax_percent = Decimal(11)
    merchant.default_service_charge_percent = Decimal(5)
    merchant.save()
    form = owner_admin.get(admin_url(Product, "add")).context["adminform"].form
    assert (form["tax_percent"].value(), form["service_charge_percent"].value()) == (
        Decimal(11),
        Decimal(5),
    )
