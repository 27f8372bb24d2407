"""gunicorn.conf.py as gunicorn reads it: threaded workers, timeouts, recycling, overrides."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
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
    assert config["reuse_port"] == "True"  # one socket per worker: kept-alive load spread
    # No replacement after N requests: a worker leaving its own socket resets what is queued.
    assert config["max_requests"] == "0"
    assert config["bind"] == "['0.0.0.0:8000']"
    assert config["accesslog"] == "None"  # the product logs each request itself


def test_each_value_has_its_variable():
    config = effective_config(
        WEB_CONCURRENCY="3",
        GUNICORN_THREADS="8",
        GUNICORN_TIMEOUT="45",
        GUNICORN_GRACEFUL_TIMEOUT="20",
        GUNICORN_MAX_REQUESTS="500",
        GUNICORN_REUSE_PORT="false",
        HOST="127.0.0.1",
        PORT="9000",
    )
    assert (config["workers"], config["threads"], config["timeout"]) == ("3", "8", "45")
    assert (config["graceful_timeout"], config["max_requests"]) == ("20", "500")
    assert config["reuse_port"] == "False"
    assert config["bind"] == "['127.0.0.1:9000']"


def test_served_by_gunicorn_metrics_sum_every_worker_and_logs_are_json(tmp_path):
    """The product on gunicorn as configured (2 workers): /metrics counts the requests of
    both workers, each request has one JSON access line under the id it was sent with."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    token = "metrics-token-for-the-gunicorn-test"
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")},
        "DEBUG": "false",
        "ALLOW_EMBEDDED_DEFAULTS": "true",
        "SECRET_KEY": "gunicorn-test-" + "s" * 50,
        "CUSTOMER_JWT_SECRET": "gunicorn-test-" + "c" * 32,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "METRICS_TOKEN": token,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "GUNICORN_THREADS": "2",
        "LOG_LEVEL": "INFO",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    env.pop("LOG_FORMAT", None)  # DEBUG off: JSON by default
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(  # noqa: S603 - our virtualenv's gunicorn
        [gunicorn, "--config", "gunicorn.conf.py", "config.wsgi:application"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"

    def get(path: str, **headers: str) -> tuple[int, bytes, dict]:
        request = urllib.request.Request(base + path, headers=headers)  # noqa: S310 - loopback
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read(), dict(response.headers)

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                get("/metrics", Authorization=f"Bearer {token}")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        for index in range(30):
            status, _body, headers = get("/health/", **{"X-Request-ID": f"req-{index}"})
            assert status == 200
            assert headers["X-Request-ID"] == f"req-{index}"
        _status, body, _headers = get("/metrics", Authorization=f"Bearer {token}")
        counted = re.search(
            rb'pos_http_requests_total\{method="GET",route="health",status="200"\} (\S+)', body
        )
        assert counted is not None, body.decode()[:2000]
        assert float(counted.group(1)) == 30
        # One file per worker process that counted (both, usually; the sum is what counts).
        files = list((tmp_path / "metrics").glob("counter_*.db"))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    assert files
    lines = [
        json.loads(line)
        for line in (tmp_path / "gunicorn.log").read_text().splitlines()
        if line.startswith("{")
    ]
    access = [
        line for line in lines if line["logger"] == "pos.access" and line["route"] == "health"
    ]
    assert sorted(line["request_id"] for line in access) == sorted(f"req-{i}" for i in range(30))
    assert {line["user_kind"] for line in access} == {"anonymous"}
