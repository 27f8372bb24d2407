"""`/` and `/demo/` lead somewhere; the demo pages preselect the shop with the demo orders."""

import pytest

from merchants.tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db


def test_the_start_page_lists_where_to_go_and_the_demo_logins(client, settings):
    settings.DEMO_PAGES_ENABLED = True
    for url in ("/", "/demo/", "/demo"):
        page = client.get(url)
        assert page.status_code == 200, url
        for link in ('href="/admin/"', 'href="/till/"', 'href="/api/docs/"', "/demo/order-history"):
            assert link in page.text
        assert "demo12345" in page.text
        assert "owner2" in page.text


def test_without_demo_pages_no_demo_logins_and_no_demo_index(client, settings):
    settings.DEMO_PAGES_ENABLED = False
    page = client.get("/")
    assert page.status_code == 200
    assert 'href="/admin/"' in page.text
    assert "demo12345" not in page.text
    assert client.get("/demo/").status_code == 404


def test_demo_pages_preselect_the_cafe_with_the_demo_customers_orders(client, settings):
    settings.DEMO_PAGES_ENABLED = True
    MerchantFactory(slug="foto-ceria", name="Foto Ceria")  # first by name
    MerchantFactory(slug="kopi-kita", name="Kopi Kita")
    for url in ("/demo/customer-auth", "/demo/order-history"):
        assert client.get(url).context["default_merchant"] == "kopi-kita", url
    assert client.get("/demo/customer-auth?merchant=foto-ceria").context["default_merchant"] == (
        "foto-ceria"
    )


def test_a_merchant_asked_for_in_the_address_that_is_not_a_slug_falls_back(client, settings):
    settings.DEMO_PAGES_ENABLED = True
    MerchantFactory(slug="kopi-kita", name="Kopi Kita")
    for asked in ("%00", "nope", "kopi%09kita"):
        page = client.get(f"/demo/customer-auth?merchant={asked}")
        assert page.status_code == 200, asked
        assert page.context["default_merchant"] == "kopi-kita"
