"""docker-compose.yml, the Dockerfile and .dockerignore, read as Docker would read them.

No Docker engine runs here, so these check the structure that matters: the order of start-up,
restarts, healthchecks, secrets without defaults, and what the image must not carry.
"""

import json
import re
from pathlib import Path

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parents[2]
APP_SERVICES = ("web", "worker", "beat")
REQUIRED_SECRETS = (
    "SECRET_KEY",
    "CUSTOMER_JWT_SECRET",
    "FIELD_ENCRYPTION_KEYS",
    "POSTGRES_PASSWORD",
    "EMAIL_URL",
)
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|KEY|DSN|CLOUDINARY_URL|EMAIL_URL")
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}
INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<rest>[^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def strings(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)
    elif isinstance(node, str):
        yield node


def test_the_stack_has_its_services(services):
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker", "beat"}


def test_migrations_run_once_before_web_worker_and_beat(services):
    migrate = services["migrate"]
    assert migrate["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in APP_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        # Nobody migrates on the way up: a race between replicas, and a shell as PID 1.
        assert "migrate" not in json.dumps(services[name].get("command", "")), name


def test_long_running_services_restart_and_are_checked(services):
    for name in ("postgres", "redis", *APP_SERVICES):
        assert services[name]["restart"] in ("unless-stopped", "always"), name
        check = services[name]["healthcheck"]
        assert check["test"], name
        assert check["interval"], name
    assert services["web"]["healthcheck"]["test"][-2:] == ["config.healthcheck", "web"]
    assert "inspect ping" in services["worker"]["healthcheck"]["test"][1]
    assert services["beat"]["healthcheck"]["test"][-2:] == ["config.healthcheck", "beat"]


def test_web_runs_the_image_command_gunicorn_as_pid_1(services):
    assert "command" not in services["web"]
    cmd = re.search(r"^CMD (.+)$", (BASE_DIR / "Dockerfile").read_text(), re.MULTILINE).group(1)
    command = json.loads(cmd)  # exec form: no shell between Docker and gunicorn
    assert command[:3] == ["gunicorn", "--config", "gunicorn.conf.py"]
    # Docker waits longer than gunicorn's graceful timeout (30 s) before it kills.
    assert int(services["web"]["stop_grace_period"].rstrip("s")) > 30


def test_app_services_run_in_production_mode(services):
    for name in ("migrate", *APP_SERVICES):
        env = services[name]["environment"]
        assert env["DEBUG"] == "false", name
        assert "postgres:5432" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:6379")


def test_secrets_have_no_defaults(compose):
    required, defaulted = set(), {}
    for text in strings(compose):
        for match in INTERPOLATION.finditer(text):
            name, op, rest = match["name"], match["op"] or "", match["rest"] or ""
            if op.endswith("?"):
                assert rest.strip(), f"${{{name}}} should say what to set"
                required.add(name)
            elif SECRET_NAME.search(name):
                # ${NAME} alone or ${NAME:-} (empty): never a value that works by accident.
                assert rest == "", f"{name} must not default to {rest!r}"
                defaulted[name] = rest
    assert set(REQUIRED_SECRETS) <= required
    assert not set(REQUIRED_SECRETS) & set(defaulted)
    # No secret written out in clear either.
    environment = compose["services"]["postgres"]["environment"]
    assert environment["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    for text in strings(compose):
        assert "change-me" not in text


def test_the_image_leaves_local_environments_and_secrets_out():
    ignored = {
        line.strip()
        for line in (BASE_DIR / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", ".env", ".git", "*.sqlite3", "media/", "staticfiles/"} <= ignored
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    assert re.search(r"^USER app$", dockerfile, re.MULTILINE)  # not root
