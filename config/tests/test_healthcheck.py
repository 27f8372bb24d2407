"""The containers' healthchecks (`python -m config.healthcheck web|beat`)."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import time_machine

pytestmark = pytest.mark.django_db


class TestContainerHealthchecks:
    def test_beat_is_healthy_only_with_a_fresh_heartbeat(self, settings):
        from config import healthcheck
        from merchants.health import beat_heartbeat_record

        assert healthcheck.main(["beat"]) == 1  # never written
        beat_heartbeat_record()
        assert healthcheck.main(["beat"]) == 0
        with time_machine.travel(time.time() + settings.BEAT_HEARTBEAT_MAX_AGE_SECONDS + 1):
            assert healthcheck.main(["beat"]) == 1

    @pytest.mark.parametrize(
        ("allowed", "host"),
        [
            ("pos.example.com,localhost", "pos.example.com"),
            (".example.com", "example.com"),
            ("*", "localhost"),
            ("", "localhost"),
        ],
    )
    def test_web_asks_for_a_host_the_server_accepts(self, allowed, host):
        from config.healthcheck import served_host

        assert served_host(allowed) == host

    def test_an_unknown_check_is_a_usage_error(self):
        from config import healthcheck

        assert healthcheck.main(["worker"]) == 2


ROOT = Path(__file__).resolve().parents[2]


def run_healthcheck(check: str, **env: str) -> subprocess.CompletedProcess:
    """`python -m config.healthcheck CHECK` as the container runs it: a fresh interpreter, no
    Django loaded beforehand (in-process, pytest-django has already set the app registry up)."""
    # Explicit values, so a developer's .env (read only for unset variables) cannot change them.
    base = {"PATH": os.environ.get("PATH", ""), "DEBUG": "true", "REDIS_URL": ""}
    return subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "config.healthcheck", check],
        cwd=ROOT,
        env=base | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class TestHealthchecksInAFreshInterpreter:
    def test_beat_without_a_heartbeat_reports_unhealthy_without_crashing(self):
        result = run_healthcheck("beat")
        assert "Traceback" not in result.stderr
        assert "unhealthy" in result.stderr
        assert result.returncode == 1

    @pytest.mark.redis
    @pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL")
    def test_beat_with_a_fresh_heartbeat_is_healthy(self):
        import redis

        prefix = f"pos-healthcheck-{uuid.uuid4().hex[:8]}"
        env = {"REDIS_URL": os.environ["REDIS_URL"], "CACHE_KEY_PREFIX": prefix}
        # Written as beat writes it, by a process with the same settings as the check's.
        record = (
            "import django; django.setup(); "
            "from merchants.health import beat_heartbeat_record; beat_heartbeat_record()"
        )
        try:
            subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
                [sys.executable, "-c", record],
                cwd=ROOT,
                env={"PATH": os.environ.get("PATH", ""), "DEBUG": "true"}
                | {"DJANGO_SETTINGS_MODULE": "config.settings"}
                | env,
                timeout=60,
                check=True,
            )
            result = run_healthcheck("beat", **env)
        finally:
            connection = redis.Redis.from_url(os.environ["REDIS_URL"])
            for key in connection.scan_iter(f"{prefix}:*"):
                connection.delete(key)
        assert result.returncode == 0, result.stderr

    def test_web_with_nothing_listening_reports_unhealthy_without_crashing(self):
        result = run_healthcheck("web", PORT="1")
        assert "Traceback" not in result.stderr
        assert "unhealthy" in result.stderr
        assert result.returncode == 1
