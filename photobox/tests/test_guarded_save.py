"""A plain save() writes only what a form may change, and says so when asked for more."""

import pytest

from photobox.models import GuardedFieldError, KioskLocation, KioskPrice, PhotoSession
from photobox.tests.factories import (
    KioskLocationFactory,
    KioskPriceFactory,
    PhotoSessionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("factory", "field", "value"),
    [
        (KioskPriceFactory, "quota_used", 5),
        (KioskLocationFactory, "key_hash", "0" * 64),
        (PhotoSessionFactory, "status", PhotoSession.Status.COMPLETED),
        (PhotoSessionFactory, "amount", 1),
    ],
)
def test_changing_a_guarded_field_then_saving_plainly_raises_naming_it(
    merchant, factory, field, value
):
    row = factory(merchant=merchant)
    fresh = type(row).objects.get(pk=row.pk)
    before = getattr(fresh, field)
    setattr(fresh, field, value)
    with pytest.raises(GuardedFieldError, match=rf"does not write {field}\b"):
        fresh.save()
    assert getattr(type(row).objects.get(pk=row.pk), field) == before


def test_the_message_names_every_refused_field(merchant):
    price = KioskPriceFactory(merchant=merchant)
    price.quota_used = 3
    price.merchant_id = price.merchant_id  # unchanged: not named
    price.description = "Renamed"  # allowed: not named
    with pytest.raises(GuardedFieldError) as error:
        price.save()
    assert "does not write quota_used:" in str(error.value)
    assert "description" not in str(error.value)


def test_allowed_fields_save_and_guarded_ones_move_through_update_fields(merchant):
    price = KioskPriceFactory(merchant=merchant, quota=10, quota_used=0)
    price.description = "Four shots"
    price.save()
    price.quota_used = 2
    price.save(update_fields=["quota_used", "updated_at"])  # what a service does
    price.description = "Five shots"
    price.save()  # the value just saved is what it remembers now
    assert KioskPrice.objects.values_list("description", "quota_used").get(pk=price.pk) == (
        "Five shots",
        2,
    )


def test_a_refresh_remembers_what_it_read_and_only_that(merchant):
    location = KioskLocationFactory(merchant=merchant)
    KioskLocation.objects.filter(pk=location.pk).update(key_prefix="pbk_new")
    location.refresh_from_db()
    location.name = "Lobby"
    location.save()  # key_prefix is the database's, not a change
    location.key_prefix = "pbk_mine"
    location.refresh_from_db(fields=["name"])
    with pytest.raises(GuardedFieldError, match="key_prefix"):
        location.save()


def test_deferred_fields_read_later_are_remembered(merchant):
    session = PhotoSessionFactory(merchant=merchant)
    partial = PhotoSession.objects.only("pk", "email").get(pk=session.pk)
    assert partial.status == session.status  # loaded on first use
    partial.email = "new@example.com"
    partial.save()
    assert PhotoSession.objects.get(pk=session.pk).email == "new@example.com"


def test_the_operator_edits_a_kiosk_price_without_being_offered_its_merchant(
    client, operator, merchant, other_merchant
):
    from django.urls import reverse

    price = KioskPriceFactory(merchant=merchant, description="Four shots")
    client.force_login(operator)
    url = reverse("admin:photobox_kioskprice_change", args=[price.pk])
    form = client.get(url).context["adminform"].form
    assert "merchant" not in form.fields  # shown read-only: a plain save would refuse it
    response = client.post(
        url,
        {
            "merchant": other_merchant.pk,  # ignored: not a field of the form
            "description": "Five shots",
            "amount": "50000",
            "is_active": "on",
            "sort_order": "0",
        },
    )
    assert response.status_code == 302
    price.refresh_from_db()
    assert (price.merchant_id, price.description) == (merchant.pk, "Five shots")
