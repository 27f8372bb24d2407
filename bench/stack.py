"""The processes of a deployment, started on loopback for the outage and cluster soaks.

Each is a child of this process in a session of its own, logs to a file in the run's folder,
and is stopped by its own process group (never by name): Redis (with its append-only file, so a
killed Redis comes back with its queues), gunicorn (explicit command-line options), Celery
workers and beat, HAProxy and PgBouncer. `Stack` stops whatever it started, in reverse order.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, *, seconds: float = 30, process=None, log: Path | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            tail = log.read_text()[-3000:] if log and log.exists() else ""
            raise SystemExit(f"{process.args[0]} exited ({process.returncode}):\n{tail}")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"Nothing listens on port {port} after {seconds} s")


def wait_for_http(url: str, *, seconds: float = 60, process=None, log: Path | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            tail = log.read_text()[-3000:] if log and log.exists() else ""
            raise SystemExit(f"{process.args[0]} exited ({process.returncode}):\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status < 500:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer in {seconds} s")


@dataclass
class Service:
    """One child process: its command, environment and log."""

    name: str
    command: list[str]
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    # Started again when it exits on its own, as Kubernetes or a restart policy would.
    supervised: bool = False
    restarts: int = 0
    stopping: bool = False

    def start(self) -> "Service":
        self._file = self.log.open("a")
        self.process = subprocess.Popen(  # noqa: S603 - our own binaries and arguments
            self.command,
            cwd=BASE_DIR,
            env={**os.environ, **self.env},
            stdout=self._file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, sig: int) -> None:
        if self.running:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)

    def stop(self, *, timeout: float = 20) -> None:
        self.stopping = True
        if self.process is None:
            return
        self.signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.process.wait()
        self._file.close()

    def kill(self) -> None:
        """SIGKILL, as a crash or a lost host: nothing is flushed or said goodbye."""
        self.signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait()
            self._file.close()

    def text(self) -> str:
        return self.log.read_text() if self.log.exists() else ""


class Stack:
    """Starts services and stops them all, newest first, at the end of a `with` block."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.services: list[Service] = []
        self._done = threading.Event()
        threading.Thread(target=self._supervise, daemon=True).start()

    def __enter__(self) -> "Stack":
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        for service in reversed(self.services):
            service.stop()

    def _supervise(self) -> None:
        """Start a supervised service again when it exited on its own (a Celery worker may
        exit on a lost broker connection: its container's restart policy brings it back)."""
        while not self._done.wait(0.5):
            for service in list(self.services):
                if service.supervised and not service.stopping and not service.running:
                    service._file.write(f"\n--- exited ({service.process.returncode}), restarted\n")
                    service._file.close()
                    service.restarts += 1
                    service.start()

    def add(self, service: Service) -> Service:
        self.services.append(service)
        return service.start()

    # --- the services ----------------------------------------------------------------------

    def redis(self, port: int, *, name: str = "redis") -> Service:
        """Redis with an append-only file fsynced at every write, so a Redis killed and started
        again has every task it had accepted (as the broker of a deployment should run)."""
        data = self.folder / name
        data.mkdir(exist_ok=True)
        service = self.add(
            Service(
                name,
                [
                    "redis-server",
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--dir",
                    str(data),
                    "--appendonly",
                    "yes",
                    "--appendfsync",
                    "always",
                    "--save",
                    "",
                ],
                self.folder / f"{name}.log",
            )
        )
        wait_for_port(port, process=service.process, log=service.log)
        return service

    def restart(self, service: Service, *, port: int | None = None) -> Service:
        """Start a stopped or killed service again with the same command and log."""
        service.process = None
        service.start()
        if port is not None:
            wait_for_port(port, process=service.process, log=service.log)
        return service

    def gunicorn(self, port: int, env: dict[str, str], *, name: str = "web") -> Service:
        """The product as deployed: gthread workers, every option on the command line."""
        service = self.add(
            Service(
                name,
                [
                    str(BIN / "gunicorn"),
                    "config.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--worker-class",
                    "gthread",
                    "--workers",
                    os.environ.get("SOAK_GUNICORN_WORKERS", "2"),
                    "--threads",
                    os.environ.get("SOAK_GUNICORN_THREADS", "4"),
                    "--timeout",
                    "30",
                    "--graceful-timeout",
                    "10",
                    "--keep-alive",
                    "5",
                    "--log-level",
                    "warning",
                ],
                self.folder / f"{name}.log",
                env,
            )
        )
        wait_for_http(f"http://127.0.0.1:{port}/health/", process=service.process, log=service.log)
        return service

    def _celery(self, name: str, args: list[str], env: dict[str, str], ready: str) -> Service:
        command = [str(BIN / "celery"), "-A", "config", *args, "--loglevel", "INFO"]
        service = self.add(Service(name, command, self.folder / f"{name}.log", env))
        self.wait_for_log(service, ready)
        return service

    def celery_worker(self, env: dict[str, str], *, name: str = "worker") -> Service:
        args = ["worker", "--hostname", f"{name}@%h", "--concurrency", "2"]
        service = self._celery(name, [*args, "--without-gossip", "--without-mingle"], env, "ready.")
        service.supervised = True
        return service

    def celery_beat(self, env: dict[str, str], *, name: str = "beat") -> Service:
        args = ["beat", "--max-interval", "1", "--pidfile", str(self.folder / f"{name}.pid")]
        return self._celery(name, args, env, "beat: Starting")

    def binary(self, name: str, command: list[str], port: int, env=None) -> Service:
        service = self.add(Service(name, command, self.folder / f"{name}.log", env or {}))
        wait_for_port(port, process=service.process, log=service.log)
        return service

    @staticmethod
    def wait_for_log(service: Service, text: str, *, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if text in service.text():
                return
            if not service.running:
                raise SystemExit(f"{service.name} exited:\n{service.text()[-3000:]}")
            time.sleep(0.2)
        raise SystemExit(f"{service.name} did not say {text!r} in {seconds} s")
