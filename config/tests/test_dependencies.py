"""The dependency rules: every range has an upper bound, the locks pin every dependency with
hashes, the image and CI install from them."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

BASE_DIR = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(*extras: str) -> list[Requirement]:
    listed = list(PYPROJECT["dependencies"])
    for extra in extras:
        listed += PYPROJECT["optional-dependencies"][extra]
    return [Requirement(line) for line in listed]


def locked(lock: str) -> dict[str, set[str]]:
    """name -> pinned versions (more than one where a Python version marker splits it)."""
    pins: dict[str, set[str]] = {}
    text = (BASE_DIR / lock).read_text()
    for match in re.finditer(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.MULTILINE):
        pins.setdefault(normalized(match[1]), set()).add(match[2])
    # Every pin carries hashes (pip's --require-hashes refuses the file otherwise).
    for block in re.split(r"\n(?=\S)", text):
        if "==" in block.split("\n", 1)[0] and not block.startswith("#"):
            assert "--hash=sha256:" in block, block.split("\n", 1)[0]
    return pins


@pytest.mark.parametrize("extra", [None, "dev", "e2e", "fuzz"])
def test_every_dependency_has_an_upper_bound(extra):
    for requirement in requirements(*([extra] if extra else [])):
        bounds = [spec.operator for spec in requirement.specifier]
        assert "<" in bounds or "==" in bounds, f"{requirement} has no upper bound"


def test_requires_python_has_an_upper_bound_and_covers_311():
    spec = PYPROJECT["requires-python"]
    assert spec.startswith(">=3.11")
    assert "<" in spec


@pytest.mark.parametrize(
    ("lock", "extras"),
    [("requirements.lock", ()), ("requirements-dev.lock", ("dev", "e2e", "fuzz"))],
)
def test_the_locks_pin_every_dependency(lock, extras):
    pins = locked(lock)
    for requirement in requirements(*extras):
        versions = pins.get(normalized(requirement.name))
        assert versions, f"{requirement.name} is not in {lock}"
        for version in versions:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"{lock} pins {requirement.name}=={version}, outside {requirement.specifier}"
            )


def test_the_image_and_the_developers_run_the_same_versions():
    runtime, dev = locked("requirements.lock"), locked("requirements-dev.lock")
    for name, versions in runtime.items():
        assert dev.get(name) == versions, name


def test_the_image_ci_and_make_install_from_the_locks():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    assert "pip install --require-hashes --no-deps -r requirements.lock" in dockerfile
    makefile = (BASE_DIR / "Makefile").read_text()
    assert "pip install --quiet --require-hashes -r requirements-dev.lock" in makefile
    assert re.search(r"^lock: ", makefile, re.MULTILINE)
    ci = (BASE_DIR / ".ci" / "run").read_text()
    assert "make test\n" in ci  # `test` depends on `install`, which installs the lock
