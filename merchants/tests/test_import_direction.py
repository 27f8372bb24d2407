"""Dependencies point one way: config → apps; orders, photobox → payments, catalog, customers →
merchants. Read from the source (every import, at the top of a module or inside a function), so
a lazy import that crosses the line fails here too."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What each app's code may import of the others (config is wiring: it imports them all).
ALLOWED = {
    "merchants": set(),
    "catalog": {"merchants"},
    "customers": {"merchants"},
    "payments": {"merchants"},  # it knows nothing of orders or kiosks: see payments.registry
    "orders": {"merchants", "catalog", "customers", "payments"},
    "photobox": {"merchants", "catalog", "customers", "payments"},
}
FIRST_PARTY = {*ALLOWED, "config"}


def imported_packages(path: Path) -> set[str]:
    """The first-party top-level packages `path` imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names)
    return found & FIRST_PARTY


def sources(app: str, *, tests: bool) -> list[Path]:
    return [
        path
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts and ("tests" in path.parts) == tests
    ]


def crossings(app: str, *, tests: bool, forbidden) -> list[str]:
    return [
        f"{path.relative_to(ROOT)} imports {', '.join(sorted(bad))}"
        for path in sources(app, tests=tests)
        if (bad := {package for package in imported_packages(path) if forbidden(package)})
    ]


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_no_app_imports_config(app):
    """Not its code, not its tests: config is wiring over the apps, never a library for them."""
    for tests in (False, True):
        assert crossings(app, tests=tests, forbidden=lambda package: package == "config") == []


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_app_code_imports_only_the_apps_below_it(app):
    allowed = {app, *ALLOWED[app]}
    assert crossings(app, tests=False, forbidden=lambda package: package not in allowed) == []


def test_payments_imports_neither_orders_nor_photobox():
    assert "orders" not in ALLOWED["payments"]
    assert "photobox" not in ALLOWED["payments"]
    everything = [*sources("payments", tests=False), *sources("payments", tests=True)]
    assert [p for p in everything if imported_packages(p) & {"orders", "photobox"}] == []


def test_the_check_sees_a_crossing(tmp_path):
    """The reader finds imports at the top and inside functions (a test that cannot fail is no
    test)."""
    module = tmp_path / "module.py"
    module.write_text(
        "import merchants.models\n"
        "def later():\n"
        "    from config.celery_app import app\n"
        "    from orders import services\n"
    )
    assert imported_packages(module) == {"merchants", "config", "orders"}
