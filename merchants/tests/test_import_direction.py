"""Dependencies point one way: orders, photobox → payments, catalog, customers → merchants.

Payments reaches the owners of its references only through `payments.registry`, so it imports
neither orders nor photobox; the apps lower down import none above them.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("merchants", "catalog", "customers", "payments", "orders", "photobox")
FORBIDDEN = {
    "merchants": {"catalog", "customers", "payments", "orders", "photobox"},
    "catalog": {"customers", "payments", "orders", "photobox"},
    "customers": {"catalog", "payments", "orders", "photobox"},
    "payments": {"orders", "photobox"},
}


def imported_apps(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return {name.split(".")[0] for name in names} & set(APPS)


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_an_app_imports_none_above_it(app):
    wrong = {}
    for path in sorted((ROOT / app).rglob("*.py")):
        if {"tests", "migrations"} & set(path.relative_to(ROOT).parts):
            continue
        above = imported_apps(path) & FORBIDDEN[app]
        if above:
            wrong[str(path.relative_to(ROOT))] = sorted(above)
    assert wrong == {}
