"""What the bench and the soak share: their environment, database, server, load generator, report.

The product runs as deployed: DEBUG off, real settings from the environment, PostgreSQL, Redis
(cache, throttles, broker), gunicorn with 2 sync workers. Only the throttle rates are raised,
since one client address sends all the load; the throttles still run on every request.
"""

import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
DOCS = BASE_DIR / "docs" / "benchmarks.md"
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk.lua"
# How long wrk waits for one answer; the soak counts orders stored that long before its stop as
# still in flight.
WRK_TIMEOUT_SECONDS = 10


def database_url() -> str:
    """BENCH_DATABASE_URL, or the server of DATABASE_URL with the database `pos_bench`."""
    explicit = os.environ.get("BENCH_DATABASE_URL")
    if explicit:
        return explicit
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        base = "postgres://postgres@127.0.0.1:5432/pos"
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path="/pos_bench"))


def configure() -> dict[str, str]:
    """Point this process (and the server it starts) at the bench's database and Redis."""
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        # Local media files and no field-encryption keys of its own: the bench measures requests.
        "ALLOW_EMBEDDED_DEFAULTS": "true",
        "DATABASE_URL": database_url(),
        # Cache and throttle keys ("pos:*") are cleared at the start; nothing else is touched.
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL")
        or os.environ.get("REDIS_URL")
        or "redis://127.0.0.1:6379/0",
        "SECRET_KEY": "bench-secret-key-" + "x" * 40,
        "CUSTOMER_JWT_SECRET": "bench-customer-jwt-secret-" + "y" * 32,
        "FIELD_ENCRYPTION_KEYS": "iCAabZyce_QoNZf6w8cYhNIZL3Oe0LllCna700FAdF0=",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
        "EMAIL_URL": "dummymail://",
        "THROTTLE_ANON": "10000000/min",
        "THROTTLE_USER": "10000000/min",
        "THROTTLE_PUBLIC_MENU": "10000000/min",
        "MEDIA_ROOT": str(Path(tempfile.gettempdir()) / "pos-bench-media"),
        # WhiteNoise warns that collectstatic has not run; static files are not measured.
        "PYTHONWARNINGS": "ignore:No directory at",
    }
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ.update(env)
    warnings.filterwarnings("ignore", "No directory at")
    import django

    django.setup()
    return env


def reset_database(stdout) -> None:
    """Drop and create the bench database, then migrate it."""
    import psycopg
    from django.core.management import call_command
    from django.db import connection

    url = urlsplit(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/")
    if not name.startswith(("pos_bench", "bench")):
        raise SystemExit(
            f"Refusing to reset '{name}': the bench database's name starts with pos_bench or bench."
        )
    connection.close()
    maintenance = urlunsplit(url._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    started = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    stdout.write(f"  migrated {name} in {time.monotonic() - started:.1f} s\n")


def clear_cache() -> None:
    """Drop the product's cache keys (throttle counters) in the bench's Redis database."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    for key in client.scan_iter(f"{prefix}:*", count=1000):
        client.delete(key)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_servers: dict[str, int] = {}  # base URL -> gunicorn master's pid


def server_cpu_seconds(url: str) -> float:
    """CPU time (user + system) the gunicorn workers serving `url` have used so far.

    Divided by the requests of a run it is what one request cost the server, whatever else the
    machine was busy with: on a shared machine it moves far less than requests/s does.
    """
    master, total = _servers[url], 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[1]) == master:  # ppid
            total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int = 2):
    """The product (and the baseline) on gunicorn with sync workers (the bench's own settings,
    kept so its figures compare with earlier runs; production uses gthread, gunicorn.conf.py);
    yields the base URL."""
    port = free_port()
    log = Path(tempfile.gettempdir()) / f"pos-bench-gunicorn-{port}.log"
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "bench.wsgi:application",
        # The bench's own settings (sync workers, as in its earlier runs), not the product's
        # gunicorn.conf.py, which gunicorn would otherwise read from the working directory.
        "--config",
        os.devnull,
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--error-logfile",
        str(log),
    ]
    process = subprocess.Popen(  # noqa: S603 - our own virtualenv's gunicorn
        command, cwd=BASE_DIR, env={**os.environ, **env}, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    _servers[url] = process.pid
    try:
        _wait_until_up(url, process, log)
        yield url
    finally:
        _servers.pop(url, None)
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_until_up(url: str, process, log: Path) -> None:
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{log.read_text() if log.exists() else ''}")
        try:
            with urllib.request.urlopen(f"{url}/health/", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer /health/ in time:\n{log.read_text()}")


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not installed: `make bench` installs Debian's package.")
    return found


@dataclass
class Load:
    """One wrk run: what it sends and how hard."""

    url: str
    seconds: int
    connections: int = 8
    threads: int = 2
    method: str = "GET"
    paths: list[str] | None = None
    bodies: list[str] | None = None
    headers: dict[str, str] | None = None  # sent on every request (Authorization, Cookie, ...)
    idempotency: bool = False
    rate: float = 0
    record: bool = False


def run_wrk(load: Load, *, run_id: str) -> dict:
    """Run wrk with `bench/wrk.lua` and return its JSON summary."""
    with tempfile.TemporaryDirectory(prefix="pos-bench-") as tmp:
        folder = Path(tmp)
        env = {
            **os.environ,
            "BENCH_METHOD": load.method,
            "BENCH_IDEMPOTENCY": "1" if load.idempotency else "0",
            "BENCH_RATE": str(load.rate),
            "BENCH_THREADS": str(load.threads),
            "BENCH_RECORD": "1" if load.record else "0",
            "BENCH_RUN_ID": run_id,
            "BENCH_REPORT": str(folder / "report.json"),
        }
        headers = [f"{name}: {value}" for name, value in (load.headers or {}).items()]
        for key, items in (
            ("BENCH_PATHS", load.paths),
            ("BENCH_BODIES", load.bodies),
            ("BENCH_HEADERS", headers),
        ):
            if items:
                (folder / key).write_text("\n".join(items) + "\n")
                env[key] = str(folder / key)
        command = [
            wrk_binary(),
            f"--threads={load.threads}",
            f"--connections={load.connections}",
            f"--duration={load.seconds}s",
            f"--timeout={WRK_TIMEOUT_SECONDS}s",
            f"--script={WRK_SCRIPT}",
            load.url,
        ]
        result = subprocess.run(  # noqa: S603 - wrk from the system's package
            command, env=env, capture_output=True, text=True, check=False
        )
        if result.returncode != 0 or not (folder / "report.json").exists():
            raise SystemExit(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        report = json.loads((folder / "report.json").read_text())
    seconds = report["duration_us"] / 1e6
    report["rps"] = report["requests"] / seconds if seconds else 0.0
    report["errors"] = report["non_2xx_3xx"] + sum(report["socket_errors"].values())
    return report


def machine() -> dict[str, str]:
    """The machine and software a run was made on."""
    from django.db import connection

    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory = f"{mem_kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        memory = "unknown"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    wrk = "not installed"
    if shutil.which("wrk"):
        wrk = (
            subprocess.run(  # noqa: S603
                [wrk_binary(), "--version"], capture_output=True, text=True, check=False
            )
            .stdout.split("[")[0]
            .strip()
            or "wrk"
        )
    import gunicorn as gunicorn_package
    from django import get_version

    commit = _git("rev-parse", "--short", "HEAD")
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    if commit and dirty:
        commit += " with uncommitted changes"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "django": get_version(),
        "postgresql": postgres.split(" ")[0],
        "gunicorn": gunicorn_package.__version__,
        "load generator": wrk,
        "commit": commit or "unknown",
        "load average at start": load_average(),
    }


def _git(*args: str) -> str:
    """What a git command prints about the project's checkout (empty when it fails)."""
    return subprocess.run(  # noqa: S603 - our own fixed git arguments
        ["git", *args],  # noqa: S607
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()


def load_average() -> str:
    """The machine's load average now (2 cores: above 2, something else wanted the CPU too)."""
    load1, load5, _ = os.getloadavg()
    return f"{load1:.2f} (1 min), {load5:.2f} (5 min)"


def machine_table(info: dict[str, str]) -> str:
    rows = "\n".join(f"| {key} | {value} |" for key, value in info.items())
    return f"| machine | |\n|---|---|\n{rows}\n"


BENCH_START = "<!-- bench:start -->"
BENCH_END = "<!-- bench:end -->"
SOAK_HEADING = "## Soak runs"


def docs_text() -> str:
    if DOCS.exists():
        return DOCS.read_text()
    return f"# Benchmarks\n\n{BENCH_START}\n{BENCH_END}\n\n{SOAK_HEADING}\n"


def write_bench_section(section: str) -> None:
    """Replace the latest bench run in docs/benchmarks.md (soak runs below it are kept)."""
    text = docs_text()
    if BENCH_START not in text:
        text = text.rstrip() + f"\n\n{BENCH_START}\n{BENCH_END}\n"
    head, rest = text.split(BENCH_START, 1)
    _, tail = rest.split(BENCH_END, 1)
    DOCS.parent.mkdir(exist_ok=True)
    DOCS.write_text(f"{head}{BENCH_START}\n{section.strip()}\n{BENCH_END}{tail}")


def append_soak_section(section: str) -> None:
    text = docs_text()
    if SOAK_HEADING not in text:
        text = text.rstrip() + f"\n\n{SOAK_HEADING}\n"
    DOCS.parent.mkdir(exist_ok=True)
    DOCS.write_text(text.rstrip() + "\n\n" + section.strip() + "\n")
