"""The dashboard in a real browser: the charts draw from our own Chart.js, without errors."""

import re

from playwright.sync_api import expect

from e2e.conftest import admin_login
from merchants.models import Membership
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


def test_owner_sees_the_charts_drawn(page, demo):
    problems = watch(page)
    expected = panels_for_role(Role.OWNER)
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
    expect(page.locator("[data-panel]")).to_have_count(len(panels_for_role(Role.OFFICER)))
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
