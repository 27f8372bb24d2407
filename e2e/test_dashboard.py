"""The dashboard in a real browser: the charts draw from our own Chart.js, without errors."""

import re

from playwright.sync_api import expect

from e2e.conftest import admin_login
from merchants.models import Membership, Merchant
from merchants.reports import panels_for_role

Role = Membership.Role


def watch(page):
    """Collect script errors, console errors and failed requests (a missing favicon aside)."""
    problems = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            if message.type == "error" and "404" not in message.text
            else None
        ),
    )
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico")
            else None
        ),
    )
    return problems


def laid_out(role: int, slug: str) -> list:
    """The panels the dashboard of merchant `slug` lays out for `role`."""
    return panels_for_role(role, Merchant.objects.get(slug=slug).business_type)


def test_owner_sees_the_charts_drawn(page, demo):
    problems = watch(page)
    expected = laid_out(Role.OWNER, "kopi-kita")
    charts_expected = sum(panel.type != "table" for panel in expected)
    admin_login(page, "owner")
    panels = page.locator("[data-panel]")
    expect(panels).to_have_count(len(expected))
    for index in range(len(expected)):
        expect(panels.nth(index)).to_have_attribute("data-state", "ready")
    charts = page.locator(".dashboard-panel canvas")
    expect(charts).to_have_count(charts_expected)
    # Chart.js drew into every canvas (a chart instance is attached to each).
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('.dashboard-panel canvas')]"
        ".map((canvas) => Boolean(window.Chart.getChart(canvas)))"
    )
    assert drawn == [True] * charts_expected
    assert page.evaluate("() => window.Chart.version") == "4.6.1"
    expect(page.locator("#panel-low-stock table")).to_contain_text("Kopi Kita House Blend")
    assert problems == []


def test_officer_sees_todays_panels_and_prints_the_x_report(page, demo):
    problems = watch(page)
    admin_login(page, "cashier")
    expect(page.locator("[data-panel]")).to_have_count(len(laid_out(Role.OFFICER, "kopi-kita")))
    expect(page.locator("#panel-revenue-per-day")).to_have_count(0)
    expect(page.locator("#panel-orders-by-status")).to_have_attribute("data-state", "ready")
    page.click("text=End-of-day report")
    expect(page.locator("#daily-report h1")).to_have_text(re.compile("X report"))
    expect(page.locator("#daily-report")).to_contain_text("Kopi Kita")
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    assert problems == []


def test_operator_picks_a_merchant(page, demo):
    problems = watch(page)
    admin_login(page, "admin")
    expect(page.locator("[data-panel]")).to_have_count(0)
    page.select_option("#dashboard-merchant", "kopi-kita")
    page.wait_for_url("**/admin/?merchant=kopi-kita")
    expect(page.locator("#panel-revenue-per-day")).to_have_attribute("data-state", "ready")
    assert problems == []


def test_photobox_owner_sees_the_kiosks_drawn(page, demo):
    """Foto Ceria sells no orders: its dashboard is its kiosks, from the demo's sessions."""
    problems = watch(page)
    expected = laid_out(Role.OWNER, "foto-ceria")
    assert {panel.name for panel in expected} == {
        "photobox-takings-per-day",
        "photobox-sessions",
        "photobox-takings",
    }
    admin_login(page, "owner2")
    panels = page.locator("[data-panel]")
    expect(panels).to_have_count(len(expected))
    for index in range(len(expected)):
        expect(panels.nth(index)).to_have_attribute("data-state", "ready")
    expect(page.locator("#panel-revenue-per-day")).to_have_count(0)
    expect(page.get_by_role("link", name="End-of-day report")).to_have_count(0)
    sessions = page.locator("#panel-photobox-sessions")
    expect(sessions.locator("h2")).to_have_text("Photobox sessions per location, last 30 days")
    expect(sessions.locator(".dashboard-status")).to_contain_text("(Asia/Jakarta)")
    chart = page.evaluate(
        """() => {
            const canvas = document.querySelector("#panel-photobox-sessions canvas");
            const chart = window.Chart.getChart(canvas);
            return {
                labels: chart.data.labels,
                datasets: chart.data.datasets.map((d) => [d.label, d.data, d.backgroundColor]),
                stacked: chart.options.scales.y.stacked,
                legend: chart.options.plugins.legend.display,
            };
        }"""
    )
    assert chart["labels"] == [
        "Foto Ceria · Mall Kota",
        "Foto Ceria · Stasiun Hall",
    ]
    assert chart["datasets"][0] == ["Completed", [9, 4], "#7cb342"]
    assert [label for label, _data, _color in chart["datasets"]] == [
        "Completed",
        "Expired unpaid",
        "Payment failed",
        "Waiting for payment",
    ]
    assert (chart["stacked"], chart["legend"]) == (True, True)
    takings = page.evaluate(
        "() => window.Chart.getChart(document.querySelector('#panel-photobox-takings-per-day"
        " canvas')).data.datasets[0].data.reduce((a, b) => a + b, 0)"
    )
    assert takings == 620000
    assert problems == []
