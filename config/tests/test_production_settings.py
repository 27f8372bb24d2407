"""A DEBUG-off start without its services is refused, naming each; the documented production
settings pass `check --deploy` clean. Each case starts a fresh interpreter, as a deploy would."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from config.production import missing_production_settings

BASE_DIR = Path(__file__).resolve().parents[2]
REQUIRED = [
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "SECRET_KEY",
    "CUSTOMER_JWT_SECRET",
    "FIELD_ENCRYPTION_KEYS",
]


def clean_environment(**values: str) -> dict[str, str]:
    """This process's environment without any product setting, plus `values`."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    return {
        **{name: os.environ[name] for name in keep if name in os.environ},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **values,
    }


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our interpreter, our manage.py
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def startup_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0
    prefix = "django.core.exceptions.ImproperlyConfigured: "
    [message] = [line for line in result.stderr.splitlines() if line.startswith(prefix)]
    return message.removeprefix(prefix)


def documented_production_settings() -> dict[str, str]:
    """The ```env block of docs/operations.md's "Production settings", placeholders filled in."""
    text = (BASE_DIR / "docs" / "operations.md").read_text()
    section = text.split("## Production settings", 1)[1]
    block = re.search(r"```env\n(.*?)```", section, re.DOTALL).group(1)
    values = {}
    for line in block.splitlines():
        name, _, value = line.partition("=")
        if name == "FIELD_ENCRYPTION_KEYS":
            value = Fernet.generate_key().decode()
        values[name] = re.sub(r"<[^>]+>", lambda _m: secrets.token_urlsafe(48), value)
    return values


def test_a_half_configured_production_start_names_every_missing_setting():
    message = startup_error(manage("check", env=clean_environment(DEBUG="false")))
    for name in REQUIRED:
        assert name in message
    assert "a media store (CLOUDINARY_URL or AWS_STORAGE_BUCKET_NAME)" in message
    assert "ALLOW_EMBEDDED_DEFAULTS=true" in message


def test_only_what_is_missing_is_named():
    env = documented_production_settings()
    del env["REDIS_URL"], env["CLOUDINARY_URL"]
    message = startup_error(manage("check", env=clean_environment(**env)))
    missing = message.split("missing: ", 1)[1].split(". Set them", 1)[0]
    assert missing == "REDIS_URL, a media store (CLOUDINARY_URL or AWS_STORAGE_BUCKET_NAME)"


def test_embedded_defaults_are_an_explicit_choice_that_still_needs_the_secrets():
    env = clean_environment(DEBUG="false", ALLOW_EMBEDDED_DEFAULTS="true")
    assert "missing: SECRET_KEY, CUSTOMER_JWT_SECRET." in startup_error(manage("check", env=env))
    started = manage(
        "check",
        env={**env, "SECRET_KEY": secrets.token_urlsafe(50), "CUSTOMER_JWT_SECRET": "c" * 40},
    )
    assert started.returncode == 0, started.stderr


def test_the_documented_production_settings_pass_the_deploy_checks_clean():
    env = documented_production_settings()
    assert set(REQUIRED) <= set(env)
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=clean_environment(**env))
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_s3_names_a_media_store_as_well_as_cloudinary():
    env = {name: "x" for name in REQUIRED}
    assert missing_production_settings(env, embedded=False) == [
        "a media store (CLOUDINARY_URL or AWS_STORAGE_BUCKET_NAME)"
    ]
    assert (
        missing_production_settings({**env, "AWS_STORAGE_BUCKET_NAME": "media"}, embedded=False)
        == []
    )
    assert missing_production_settings({**env, "SECRET_KEY": "  "}, embedded=True) == ["SECRET_KEY"]


@pytest.mark.parametrize("debug", ["true", None])
def test_with_debug_on_nothing_is_required(debug):
    env = clean_environment() if debug is None else clean_environment(DEBUG=debug)
    assert manage("check", env=env).returncode == 0
