"""Each app owns its periodic tasks and dashboard panels; settings only gather them. The admin is
one site whose index is the dashboard."""

import ast
import importlib
from pathlib import Path

from django.conf import settings
from django.contrib import admin
from django.urls import URLResolver, get_resolver, reverse

from merchants.admin_site import PosAdminSite

APPS = ("merchants", "catalog", "customers", "orders", "payments", "photobox")
SETTINGS_FILE = Path(settings.BASE_DIR) / "config" / "settings.py"


def app_module(app: str, name: str):
    try:
        return importlib.import_module(f"{app}.{name}")
    except ModuleNotFoundError:
        return None


def test_every_apps_beat_schedule_is_installed_and_nothing_else():
    gathered = {}
    for app in APPS:
        module = app_module(app, "schedule")
        if module is not None:
            assert all(
                entry["task"].startswith(f"{app}.") for entry in module.BEAT_SCHEDULE.values()
            )
            gathered.update(module.BEAT_SCHEDULE)
    assert set(settings.BEAT_SCHEDULE_DEFAULTS) == set(gathered)
    for name, entry in gathered.items():
        assert settings.BEAT_SCHEDULE_DEFAULTS[name]["task"] == entry["task"]


def test_every_apps_panels_are_on_the_dashboard_and_nothing_else():
    panels = [
        panel
        for app in APPS
        if (module := app_module(app, "panels")) is not None
        for panel in module.DASHBOARD_PANELS
    ]
    assert sorted(p["name"] for p in settings.DASHBOARD_PANELS) == sorted(p["name"] for p in panels)
    for panel in panels:
        assert panel["selector"].split(".")[0] in APPS


def test_settings_hold_no_panel_or_schedule_of_their_own():
    """Settings gather the apps' lists; an entry written in settings would be a second home."""
    tree = ast.parse(SETTINGS_FILE.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            keys = {key.value for key in node.keys if isinstance(key, ast.Constant)}
            assert not keys & {"selector", "task"}, ast.unparse(node)[:120]


def test_the_admin_is_one_site_whose_index_is_the_dashboard(client, owner):
    assert isinstance(admin.site, PosAdminSite)
    routes = [entry for entry in get_resolver().url_patterns if str(entry.pattern) == "admin/"]
    assert len(routes) == 1
    assert isinstance(routes[0], URLResolver)
    client.force_login(owner)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "dashboard" in response.context
    assert response.context["site_header"] == "POS Back-office"


def test_the_sites_other_pages_are_djangos(client, operator):
    assert client.get("/admin/login/").status_code == 200
    client.force_login(operator)
    assert client.get("/admin/merchants/merchant/").status_code == 200
