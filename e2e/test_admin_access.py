import re

from playwright.sync_api import expect

from e2e.conftest import admin_login


def test_owner_logs_into_the_branded_admin(page, demo):
    admin_login(page, "owner")
    expect(page.locator("#site-name")).to_contain_text("POS Back-office")
    page.click("text=Table locations")
    expect(page.locator("#result_list")).to_contain_text("Window")


def test_officer_cannot_reach_owner_only_pages(page, demo):
    admin_login(page, "cashier")
    response = page.goto("/admin/merchants/tablelocation/add/")
    assert response.status == 403
    response = page.goto("/admin/auth/user/")
    assert response.status == 403
    # The menu is read-only for officers: no adding products, no import.
    assert page.goto("/admin/catalog/product/add/").status == 403
    assert page.goto("/admin/catalog/product/import/").status == 403
    page.goto("/admin/catalog/product/")
    expect(page.locator("#result_list")).to_contain_text("Nasi Goreng")
    expect(page.get_by_role("link", name=re.compile("Add product"))).to_have_count(0)
    expect(page.get_by_role("link", name="Import")).to_have_count(0)
    page.goto("/admin/merchants/tablelocation/")
    expect(page.locator("#result_list")).to_contain_text("Window")
    expect(page.get_by_role("link", name=re.compile("Add table location"))).to_have_count(0)
