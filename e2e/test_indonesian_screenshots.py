"""The owner's main admin pages in Indonesian, in Chromium at a laptop's 1366 px, photographed.

The screenshots land in e2e-artifacts/indonesian/ (CI keeps that folder); each page is also
checked: Indonesian words, and amounts written the Indonesian way (`Rp 46.000`).
"""

import re

import pytest
from playwright.sync_api import expect

from e2e.conftest import ARTIFACTS, CHROMIUM_ARGS  # noqa: F401 - the same browser setup
from orders.models import Order

SHOTS = ARTIFACTS / "indonesian"
RUPIAH = re.compile(r"Rp \d{1,3}(\.\d{3})+")  # Rp 46.000, Rp 1.250.000


@pytest.fixture
def page_id(browser, live_server):
    """A browser that asks for Indonesian (Accept-Language: id), at 1366 × 768."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1366, "height": 768}, locale="id-ID"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_the_owners_admin_in_indonesian(page_id, demo):
    page = page_id
    page.goto("/admin/login/")
    expect(page.locator("body")).to_contain_text("Nama pengguna")  # Django's own Indonesian
    page.fill("#id_username", "owner")
    page.fill("#id_password", "demo12345")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")

    # The index with the dashboard: panels drawn, Indonesian headings.
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.locator("#content")).to_contain_text("Pesanan")
    panels = page.locator("[data-panel]")
    for index in range(panels.count()):
        expect(panels.nth(index)).to_have_attribute("data-state", "ready")
    # The charts' words and axes in Indonesian too: money as the server writes it.
    revenue = page.evaluate(
        """() => {
            const chart = window.Chart.getChart(
                document.querySelector("#panel-revenue-per-day canvas"));
            return {
                label: chart.data.datasets[0].label,
                ticks: chart.scales.y.ticks.map((tick) => tick.label),
            };
        }"""
    )
    assert revenue["label"] == "Pendapatan bersih"
    assert any(RUPIAH.fullmatch(tick) for tick in revenue["ticks"]), revenue["ticks"]
    expect(page.locator("#panel-revenue-per-day h2")).to_have_text(
        "Pendapatan per hari, 30 hari terakhir"
    )
    shoot(page, "01-admin-index-dashboard")

    # The orders: money as rupiah with dots, the zone named, status and total visible.
    page.goto("/admin/orders/order/")
    expect(page.locator("#result_list")).to_contain_text("Rp ")
    assert RUPIAH.search(page.locator("#result_list").inner_text())
    expect(page.locator("[data-testid=time-zone-note]")).to_contain_text("Waktu dalam Asia/Jakarta")
    expect(page.locator("#result_list thead")).to_contain_text("Pembayaran")
    shoot(page, "02-order-list")

    order = Order.objects.filter(merchant__slug="kopi-kita").order_by("-total_amount").first()
    page.goto(f"/admin/orders/order/{order.pk}/change/")
    expect(page.locator("#content")).to_contain_text("Jumlah total")
    assert RUPIAH.search(page.locator("#content").inner_text())
    shoot(page, "03-order-page")

    page.goto("/admin/catalog/product/")
    expect(page.locator("#content")).to_contain_text("Pilih produk")
    assert RUPIAH.search(page.locator("#result_list").inner_text())
    shoot(page, "04-product-list")

    page.goto("/admin/orders/order/daily-report/")
    expect(page.locator("#daily-report")).to_contain_text("Penjualan (IDR)")
    shoot(page, "05-end-of-day-report")

    # The till writes its prices the same way (merchants.money.money_format, from the page).
    page.goto("/till/")
    expect(page.locator(".tile .price").first).to_have_text(re.compile(r"^Rp \d{1,3}(\.\d{3})+"))
