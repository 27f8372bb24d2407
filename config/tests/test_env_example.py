""".env.example is the one list of settings: every variable the product reads, each with a comment.

The product's reads are found in its source with `ast` (every `env(...)`, `env.<cast>(...)`,
`os.environ.get(...)`, `os.environ[...]` and `os.getenv(...)`), so a new setting cannot be
forgotten. `os.environ.setdefault(...)` is a default the code sets for itself (Django's
DJANGO_SETTINGS_MODULE), not a setting it reads.

The tools (bench/, e2e/, fuzz/, integration/ and every tests/ folder) are not the product: they
read their own variables (BENCH_*, SOAK_*, FUZZ_EXAMPLES, CHROMIUM_PATH) from the shell that
starts them, never from `.env`, so listing them in `.env.example` would mislead. Each of those
must be named in its tool's page of docs/ instead.
"""

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent.parent
ENV_EXAMPLE = BASE_DIR / ".env.example"
SETTINGS_DOC = BASE_DIR / "docs" / "settings.md"
TOOL_DOCS = {
    # The bench and soak scripts; the outage and cluster soaks are described with operations.
    "bench": ("docs/benchmarks.md", "docs/operations.md"),
    "e2e": ("docs/testing.md",),
    "fuzz": ("docs/testing.md",),
    "integration": ("docs/testing.md",),
}
NOT_PRODUCT = {"tests", "docs", "templates", "static", "staticfiles", "media", "node_modules"}
NOT_PRODUCT |= set(TOOL_DOCS)

# Listed in .env.example because `docker compose up` requires them and reads `.env` for them,
# though the product itself never does (compose turns them into what it reads).
COMPOSE_ONLY = {"POSTGRES_PASSWORD"}
DOCKER_COMPOSE = BASE_DIR / "docker-compose.yml"
COMPOSE_REQUIRED = re.compile(r"\$\{([A-Z][A-Z0-9_]*):?\?")

VARIABLE = re.compile(r"^(# )?([A-Z][A-Z0-9_]*)=(.*)$")
NON_LITERAL = "<not a string literal>"


def env_example() -> dict[str, int]:
    """Variable → line number. `# NAME=example` lists a variable left unset on purpose."""
    return {
        match.group(2): number
        for number, line in enumerate(ENV_EXAMPLE.read_text().splitlines(), start=1)
        if (match := VARIABLE.match(line))
    }


def _is_os_environ(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def _name(node: ast.expr | None) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return NON_LITERAL


def _reads_a_variable(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id == "env"  # env("NAME")
    if not isinstance(func, ast.Attribute):
        return False
    owner = func.value
    return (
        (isinstance(owner, ast.Name) and owner.id == "env")  # env.str("NAME"), env.db(...)
        or (_is_os_environ(owner) and func.attr == "get")  # os.environ.get("NAME")
        or (isinstance(owner, ast.Name) and owner.id == "os" and func.attr == "getenv")
    )


def env_reads(source: str) -> set[str]:
    """The environment variables a module reads."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _reads_a_variable(node):
            named = [kw.value for kw in node.keywords if kw.arg in ("var", "key")]
            found.add(_name(node.args[0] if node.args else next(iter(named), None)))
        elif (
            isinstance(node, ast.Subscript)
            and _is_os_environ(node.value)
            and isinstance(node.ctx, ast.Load)
        ):  # os.environ["NAME"]
            found.add(_name(node.slice))
    return found


def python_files(*, under: Path, skip: set[str]) -> list[Path]:
    files = []
    for folder, dirs, names in os.walk(under):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")) and d not in skip)
        files += [Path(folder) / name for name in names if name.endswith(".py")]
    return [path for path in files if path.name != "conftest.py"]


def reads_by_file(files: list[Path]) -> dict[str, set[str]]:
    return {
        str(path.relative_to(BASE_DIR)): reads
        for path in files
        if (reads := env_reads(path.read_text()))
    }


def product_reads() -> dict[str, set[str]]:
    return reads_by_file(python_files(under=BASE_DIR, skip=NOT_PRODUCT | {"venv", "node_modules"}))


def test_the_reader_finds_every_way_of_reading_the_environment():
    source = """
import os
env = environ.Env()
A = env("CALLED")
B = env.int("CAST", default=1)
C = env.db(var="KEYWORD")
D = os.environ.get("GOT")
E = os.environ["SUBSCRIPTED"]
F = os.getenv("GETENV")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["WRITTEN"] = "x"
G = env.str(computed_name)
"""
    assert env_reads(source) == {
        "CALLED",
        "CAST",
        "KEYWORD",
        "GOT",
        "SUBSCRIPTED",
        "GETENV",
        NON_LITERAL,
    }


def test_the_reader_sees_the_settings_module():
    reads = product_reads()
    assert "config/settings.py" in reads
    assert {"DEBUG", "DATABASE_URL", "THROTTLE_KIOSK", "PAYMENT_RECONCILE_EVERY_SECONDS"} <= reads[
        "config/settings.py"
    ]


def test_env_example_lists_every_variable_the_product_reads():
    listed = env_example()
    missing = {
        f"{name} (read in {path})"
        for path, reads in product_reads().items()
        for name in reads
        if name not in listed
    }
    assert missing == set(), (
        "add these to .env.example with a comment (a name read from a computed string cannot "
        f"be checked: read it by its literal name): {sorted(missing)}"
    )


def test_env_example_lists_nothing_the_product_does_not_read():
    read = set().union(*product_reads().values())
    stale = sorted(name for name in env_example() if name not in read | COMPOSE_ONLY)
    assert stale == [], f"no product code reads these: {stale}"


def test_compose_only_variables_are_compose_s_alone():
    """The allowance above covers what docker-compose.yml reads and nothing the product reads
    (that belongs in the ordinary list) or nobody reads."""
    read = set().union(*product_reads().values())
    compose = DOCKER_COMPOSE.read_text()
    assert set(env_example()) >= COMPOSE_ONLY
    assert not COMPOSE_ONLY & read
    assert all(f"${{{name}" in compose for name in COMPOSE_ONLY)


def test_env_example_lists_every_variable_compose_requires():
    """`cp .env.example .env` then filling it in is enough for `docker compose up`, which
    stops at the first `${NAME:?...}` left unset."""
    required = set(COMPOSE_REQUIRED.findall(DOCKER_COMPOSE.read_text()))
    assert "SECRET_KEY" in required  # the pattern still finds compose's required variables
    missing = sorted(required - set(env_example()))
    assert missing == [], f"add these to .env.example with a comment: {missing}"


def test_every_variable_in_env_example_has_a_comment():
    """Each variable sits in a block of lines that a comment opens (a group may share one)."""
    uncommented, commented = [], False
    for number, line in enumerate(ENV_EXAMPLE.read_text().splitlines(), start=1):
        if not line.strip():
            commented = False
        elif VARIABLE.match(line):
            if not commented:
                uncommented.append(f"line {number}: {line}")
        elif line.startswith("#"):
            commented = True
    assert uncommented == []


def test_env_example_variables_are_each_listed_once():
    names = [
        match.group(2)
        for line in ENV_EXAMPLE.read_text().splitlines()
        if (match := VARIABLE.match(line))
    ]
    assert len(names) == len(set(names))


def test_docs_settings_page_explains_every_variable():
    text = SETTINGS_DOC.read_text()
    missing = [name for name in env_example() if f"`{name}`" not in text]
    assert missing == [], f"explain these in docs/settings.md: {missing}"


@pytest.mark.parametrize("tool", sorted(TOOL_DOCS))
def test_tool_variables_are_named_in_their_docs(tool):
    reads = reads_by_file(python_files(under=BASE_DIR / tool, skip=set()))
    text = "\n".join((BASE_DIR / page).read_text() for page in TOOL_DOCS[tool])
    names = set().union(set(), *reads.values())
    assert NON_LITERAL not in names
    missing = sorted(name for name in names if not re.search(rf"\b{name}\b", text))
    assert missing == [], f"name these in {' or '.join(TOOL_DOCS[tool])}: {missing}"


SETTINGS_DUMP = """
import json, os, sys
import environ
if sys.argv[1] == "example":
    # What `environ.Env.read_env(BASE_DIR / ".env")` in the settings does with a copied file.
    environ.Env.read_env(sys.argv[2], overwrite=True)
environ.Env.read_env = lambda *args, **kwargs: None  # a developer's own .env does not count
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
from django.conf import settings
print(json.dumps({
    name: json.loads(json.dumps(getattr(settings, name), default=str))
    for name in dir(settings) if name.isupper()
}))
"""


def settings_with(mode: str) -> dict:
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", SETTINGS_DUMP, mode, str(ENV_EXAMPLE)],
        cwd=BASE_DIR,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(BASE_DIR)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_copying_env_example_to_dot_env_changes_no_setting():
    """The header says "Copy to .env": doing so must start the same embedded default."""
    defaults, copied = settings_with("defaults"), settings_with("example")
    changed = {
        name: (defaults.get(name), copied.get(name))
        for name in defaults.keys() | copied.keys()
        if defaults.get(name) != copied.get(name)
    }
    assert changed == {}
