"""The admin index dashboard and its panel endpoints, for every kind of visitor."""

import pytest
from django.contrib.staticfiles import finders
from django.core.checks import Error
from django.urls import reverse

from catalog.tests.factories import ProductFactory
from merchants.checks import check_dashboard_panels
from merchants.models import Membership
from merchants.reports import dashboard_panels
from merchants.tests.factories import MembershipFactory, MerchantFactory

pytestmark = pytest.mark.django_db
Role = Membership.Role
OWNER_ONLY = {"revenue-per-day", "payment-methods", "top-products-revenue"}
FOR_OFFICERS = {"orders-by-status", "top-products-quantity", "low-stock"}
# Laid out only on a photobox merchant's dashboard (photobox/tests/test_reports.py).
PHOTOBOX_OWNER_ONLY = {"photobox-takings-per-day", "photobox-takings"}
PHOTOBOX_FOR_OFFICERS = {"photobox-sessions"}


def shown_panels(response) -> set[str]:
    content = response.content.decode()
    return {panel.name for panel in dashboard_panels() if f'data-panel="{panel.name}"' in content}


@pytest.fixture
def admin_client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_owner_sees_every_panel_of_their_merchant(admin_client_for, owner):
    response = admin_client_for(owner).get(reverse("admin:index"))
    assert response.status_code == 200
    assert shown_panels(response) == OWNER_ONLY | FOR_OFFICERS
    content = response.content.decode()
    assert 'data-merchant="kopi-test"' in content
    assert "/static/vendor/chartjs/chart.umd.min.js" in content  # ours, no CDN
    assert "End-of-day report" in content
    assert "Choose a merchant" not in content  # nothing to choose with one merchant


@pytest.mark.parametrize(("currency", "decimals"), [("IDR", "0"), ("USD", "2")])
def test_charts_show_money_with_the_currencys_decimals(
    admin_client_for, owner, merchant, currency, decimals
):
    merchant.currency = currency
    merchant.save(update_fields=["currency"])
    content = admin_client_for(owner).get(reverse("admin:index")).content.decode()
    assert f'data-currency="{currency}"' in content
    # The script's money rule (merchants.money.money_format), as JSON data: no inline code.
    assert f'"currency": "{currency}"' in content
    assert f'"decimals": {decimals}' in content


def test_officer_sees_the_days_work_but_not_the_money_history(admin_client_for, officer):
    response = admin_client_for(officer).get(reverse("admin:index"))
    assert shown_panels(response) == FOR_OFFICERS
    assert b"End-of-day report" in response.content


def test_operator_chooses_a_merchant_and_it_is_remembered(
    admin_client_for, operator, merchant, other_merchant
):
    client = admin_client_for(operator)
    first = client.get(reverse("admin:index"))
    assert shown_panels(first) == set()
    assert b"Choose a merchant" in first.content
    assert b'value="other-shop"' in first.content
    chosen = client.get(reverse("admin:index"), {"merchant": "other-shop"})
    assert 'data-merchant="other-shop"' in chosen.content.decode()
    assert shown_panels(chosen) == OWNER_ONLY | FOR_OFFICERS
    again = client.get(reverse("admin:index"))
    assert 'data-merchant="other-shop"' in again.content.decode()


def test_nobody_chooses_a_merchant_they_do_not_belong_to(
    admin_client_for, owner, merchant, other_merchant
):
    MembershipFactory(user=owner, merchant=other_merchant, role=Role.OFFICER)
    client = admin_client_for(owner)
    page = client.get(reverse("admin:index"))
    assert b"Choose a merchant" in page.content  # two merchants: pick one
    page = client.get(reverse("admin:index"), {"merchant": "other-shop"})
    assert shown_panels(page) == FOR_OFFICERS  # an officer there
    third = MerchantFactory(slug="third-shop")
    page = client.get(reverse("admin:index"), {"merchant": third.slug}, follow=True)
    assert b"You have no access to a merchant" in page.content
    assert 'data-merchant="other-shop"' in page.content.decode()  # unchanged


def test_anonymous_goes_to_the_login(client):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_chart_js_is_in_our_static_files():
    assert finders.find("vendor/chartjs/chart.umd.min.js")
    assert finders.find("vendor/chartjs/LICENSE.md")
    assert finders.find("dashboard/dashboard.js")


# --- the panel endpoints ---------------------------------------------------------------------


def test_panel_list_follows_the_role(owner_client, officer_client):
    # Every panel the role may read, whatever the merchant's business type lays out.
    owner_names = [row["name"] for row in owner_client.get(reverse("api:report-panel-list")).json()]
    assert (
        set(owner_names) == OWNER_ONLY | FOR_OFFICERS | PHOTOBOX_OWNER_ONLY | PHOTOBOX_FOR_OFFICERS
    )
    assert owner_names[0] == "revenue-per-day"  # dashboard order
    rows = officer_client.get(reverse("api:report-panel-list")).json()
    assert {row["name"] for row in rows} == FOR_OFFICERS | PHOTOBOX_FOR_OFFICERS
    assert rows[0]["url"] == reverse("api:report-panel", kwargs={"name": rows[0]["name"]})


def test_panel_list_answers_only_for_a_merchant_of_the_caller(
    merchant, other_owner, operator, client_for, api_client
):
    url = reverse("api:report-panel-list")
    assert api_client.get(url).status_code == 401
    # Another merchant's owner naming ours, and the operator naming none, are refused.
    assert client_for(other_owner, merchant).get(url).status_code == 403
    assert client_for(operator).get(url).status_code == 400
    assert client_for(operator, merchant).get(url).status_code == 200


@pytest.mark.parametrize("panel", dashboard_panels(), ids=lambda panel: panel.name)
def test_each_panel_endpoint_answers_in_few_queries(
    panel, merchant, owner_client, django_assert_max_num_queries
):
    ProductFactory(merchant=merchant, track_stock=True, stock=1, low_stock_threshold=2)
    url = reverse("api:report-panel", kwargs={"name": panel.name})
    # The caller's membership and merchant, then one or two aggregate queries for the panel.
    with django_assert_max_num_queries(4):
        response = owner_client.get(url)
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["type"], body["merchant"]["slug"]) == (
        panel.name,
        panel.type,
        "kopi-test",
    )
    assert body["time_zone"] == "Asia/Jakarta"


def test_a_table_panel(merchant, officer_client):
    ProductFactory(
        merchant=merchant, name="Croissant", track_stock=True, stock=1, low_stock_threshold=3
    )
    body = officer_client.get(reverse("api:report-panel", kwargs={"name": "low-stock"})).json()
    assert body["rows"][0]["name"] == "Croissant"
    assert (body["is_empty"], body["labels"], body["datasets"]) == (False, [], [])


def test_unknown_or_forbidden_panels(officer_client, api_client):
    response = officer_client.get(reverse("api:report-panel", kwargs={"name": "no-such-panel"}))
    assert response.status_code == 404
    assert "no dashboard panel" in response.json()["error"]["message"]
    response = officer_client.get(reverse("api:report-panel", kwargs={"name": "revenue-per-day"}))
    assert response.status_code == 403
    url = reverse("api:report-panel", kwargs={"name": "no-such-panel"})
    assert api_client.get(url).status_code == 401


# --- the registry ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"name": "x", "title": "X", "selector": "nowhere.at_all", "type": "bar"}, "nowhere"),
        ({"name": "x", "title": "X", "selector": "orders.reports.ZERO", "type": "pie"}, "type"),
        ({"name": "x", "title": "X", "selector": "a.b", "type": "bar", "role": "boss"}, "role"),
        ({"name": "x", "title": "X", "selector": "a.b", "type": "bar", "colour": 1}, "colour"),
    ],
)
def test_a_bad_panel_entry_fails_the_system_check(settings, entry, message):
    settings.DASHBOARD_PANELS = [*settings.DASHBOARD_PANELS, entry]
    errors = check_dashboard_panels(None)
    assert len(errors) == 1
    assert isinstance(errors[0], Error)
    assert message in errors[0].msg


@pytest.mark.parametrize(
    "business_types", ["photobox", ["photobox", "arcade"]], ids=["a string", "unknown"]
)
def test_a_panel_for_an_unknown_business_type_fails_the_system_check(settings, business_types):
    entry = {"name": "x", "title": "X", "selector": "a.b", "type": "bar"}
    settings.DASHBOARD_PANELS = [
        *settings.DASHBOARD_PANELS,
        {**entry, "business_types": business_types},
    ]
    [error] = check_dashboard_panels(None)
    assert "business_types must be a list of" in error.msg


def test_an_unknown_dedicated_business_type_fails_the_system_check(settings):
    settings.DASHBOARD_DEDICATED_BUSINESS_TYPES = ["arcade"]
    [error] = check_dashboard_panels(None)
    assert "DASHBOARD_DEDICATED_BUSINESS_TYPES" in error.msg


def test_panels_and_links_follow_the_business_type(settings):
    from merchants.reports import dashboard_links, panels_for_role

    settings.DASHBOARD_PANELS = [
        {"name": "all", "title": "A", "selector": "a.b", "type": "bar"},
        {
            "name": "kiosk",
            "title": "K",
            "selector": "a.b",
            "type": "bar",
            "business_types": ["photobox"],
        },
        {
            "name": "shop",
            "title": "S",
            "selector": "a.b",
            "type": "bar",
            "business_types": ["retail", "fnb"],
        },
    ]
    settings.DASHBOARD_LINKS = [
        {"title": "Report", "url_name": "admin:index", "role": "officer"},
        {"title": "Kiosks", "url_name": "admin:index", "business_types": ["photobox"]},
    ]

    def names(business_type):
        return [panel.name for panel in panels_for_role(Role.OWNER, business_type)]

    def links(business_type):
        return [link.title for link in dashboard_links(Role.OWNER, business_type)]

    settings.DASHBOARD_DEDICATED_BUSINESS_TYPES = []
    assert (names("fnb"), names("photobox"), names(None)) == (
        ["all", "shop"],
        ["all", "kiosk"],
        ["all", "kiosk", "shop"],
    )
    assert (links("fnb"), links("photobox")) == (["Report"], ["Report", "Kiosks"])
    # A dedicated type sees only what names it; the others are unchanged.
    settings.DASHBOARD_DEDICATED_BUSINESS_TYPES = ["photobox"]
    assert (names("fnb"), names("photobox")) == (["all", "shop"], ["kiosk"])
    assert (links("fnb"), links("photobox")) == (["Report"], ["Kiosks"])
    assert [link.title for link in dashboard_links(Role.OFFICER, "photobox")] == []


def test_panel_names_are_unique(settings):
    settings.DASHBOARD_PANELS = [*settings.DASHBOARD_PANELS, settings.DASHBOARD_PANELS[0]]
    [error] = check_dashboard_panels(None)
    assert "named twice" in error.msg


def test_the_configured_panels_pass_the_check():
    assert check_dashboard_panels(None) == []


def test_a_dashboard_link_to_nowhere_fails_the_system_check(settings):
    from merchants.checks import check_dashboard_links

    assert check_dashboard_links(None) == []
    settings.DASHBOARD_LINKS = [{"title": "Lost", "url_name": "admin:nowhere", "role": "owner"}]
    [error] = check_dashboard_links(None)
    assert "no URL named 'admin:nowhere'" in error.msg
    settings.DASHBOARD_LINKS = [
        {"title": "Odd", "url_name": "admin:index", "business_types": ["arcade"]}
    ]
    [error] = check_dashboard_links(None)
    assert "business_types must be a list of" in error.msg


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"title": "Odd", "url_name": "admin:index", "role": "boss"}, "role must be one of"),
        ({"title": "Odd", "url_name": "admin:index", "colour": "red"}, "colour"),
    ],
)
def test_a_malformed_dashboard_link_fails_the_system_check(settings, entry, message):
    from merchants.checks import check_dashboard_links

    settings.DASHBOARD_LINKS = [entry]
    [error] = check_dashboard_links(None)
    assert message in error.msg
