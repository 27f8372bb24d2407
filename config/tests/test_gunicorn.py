"""gunicorn.conf.py as gunicorn reads it: threaded workers, timeouts, recycling, overrides."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def effective_config(**env: str) -> dict[str, str]:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    result = subprocess.run(  # noqa: S603 - our virtualenv's gunicorn
        [gunicorn, "--config", "gunicorn.conf.py", "--print-config", "config.wsgi:application"],
        cwd=BASE_DIR,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    config = {}
    for line in result.stdout.splitlines():
        name, sep, value = line.partition("=")
        if sep:
            config[name.strip()] = value.strip()
    return config


def test_threaded_workers_with_the_documented_timeouts():
    config = effective_config()
    assert config["worker_class"] == "gthread"
    assert config["workers"] == "2"
    assert config["threads"] == "4"
    assert config["timeout"] == "30"
    assert config["graceful_timeout"] == "30"
    assert config["keepalive"] == "5"
    assert config["max_requests"] == "2000"
    assert config["max_requests_jitter"] == "200"
    assert config["bind"] == "['0.0.0.0:8000']"
    assert config["accesslog"] == "None"  # the product logs each request itself


def test_each_value_has_its_variable():
    config = effective_config(
        WEB_CONCURRENCY="3",
        GUNICORN_THREADS="8",
        GUNICORN_TIMEOUT="45",
        GUNICORN_GRACEFUL_TIMEOUT="20",
        GUNICORN_MAX_REQUESTS="500",
        HOST="127.0.0.1",
        PORT="9000",
    )
    assert (config["workers"], config["threads"], config["timeout"]) == ("3", "8", "45")
    assert (config["graceful_timeout"], config["max_requests"]) == ("20", "500")
    assert config["bind"] == "['127.0.0.1:9000']"
