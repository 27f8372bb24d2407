"""A real Celery worker process, a real Redis broker and real email backends.

Everywhere else tasks run eagerly inside the test. Here an API call queues the login email on
Redis, a `celery worker` subprocess picks it up from a queue of its own, reads the challenge from
the test database (committed: `transactional_db`) and sends it: through the file backend, and
through a local SMTP server that refuses the first attempt with a temporary error, so the task
retries and the customer still gets exactly one email.
"""

import email
import os
import re
import socketserver
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from email.message import Message
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from customers.models import LoginChallenge
from merchants.testing import requires_postgres
from merchants.tests.factories import MerchantFactory

BASE_DIR = Path(settings.BASE_DIR)
WAIT_SECONDS = 20


def _redis_unreachable_reason() -> str | None:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        return "needs a Redis broker for the worker: set REDIS_URL (CI does)"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError as error:
        return f"Redis at {url} is unreachable ({error}); start it or unset REDIS_URL"
    return None


_NO_REDIS = _redis_unreachable_reason()

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.skipif(_NO_REDIS is not None, reason=_NO_REDIS or ""),
    # The worker is another process: SQLite's test database lives in this one's memory.
    requires_postgres,
]


def _test_database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """`celery -A config worker` on a queue of its own, its log in a file."""

    def __init__(self, *, queue: str, email_url: str, log: Path, extra_env: dict):
        self.queue, self.log = queue, log
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONPATH": str(BASE_DIR),
            "DATABASE_URL": _test_database_url(),
            "CONN_MAX_AGE": "0",  # no connection left open on the test database afterwards
            "CELERY_BROKER_URL": os.environ["REDIS_URL"],
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "EMAIL_URL": email_url,
            "LOG_LEVEL": "INFO",
            # The cache keys the test process reads (parallel test workers each have a prefix).
            "CACHE_KEY_PREFIX": settings.CACHES["default"].get("KEY_PREFIX", ""),
            **extra_env,
        }
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--queues",
            queue,
            "--hostname",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
        ]
        self._log_file = log.open("w")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command, cwd=BASE_DIR, env=env, stdout=self._log_file, stderr=subprocess.STDOUT
        )
        self.wait_for_log(r"\bready\.")

    def text(self) -> str:
        return self.log.read_text()

    def wait_for_log(self, pattern: str, count: int = 1) -> str:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            text = self.text()
            if len(re.findall(pattern, text)) >= count:
                return text
            if self.process.poll() is not None:
                pytest.fail(f"The worker exited ({self.process.returncode}):\n{text}")
            time.sleep(0.05)
        pytest.fail(f"No {count} × /{pattern}/ in the worker's log:\n{self.text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log_file.close()


@contextmanager
def celery_worker(tmp_path: Path, *, email_url: str, **extra_env: str):
    """Start a worker, route the app's tasks to its queue for this test, stop it afterwards."""
    from config.celery_app import app

    queue = f"proof-{uuid.uuid4().hex[:10]}"
    # The router is built once from the settings; rebuild it so tasks go to this queue only
    # (another worker on the same Redis database would otherwise take them).
    previous = (app.conf.task_always_eager, app.conf.task_routes)
    app.conf.task_always_eager = False
    app.conf.task_routes = {"*": {"queue": queue}}
    app.amqp.flush_routes()
    app.amqp.router = app.amqp.Router()
    worker = Worker(
        queue=queue, email_url=email_url, log=tmp_path / "worker.log", extra_env=extra_env
    )
    try:
        yield worker
    finally:
        worker.stop()
        app.conf.task_always_eager, app.conf.task_routes = previous
        app.amqp.flush_routes()
        app.amqp.router = app.amqp.Router()
        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)


def request_otp(client, merchant, address: str) -> LoginChallenge:
    response = client.post(
        "/api/v1/auth/customer/request-otp",
        {"merchant": merchant.slug, "email": address},
        format="json",
    )
    assert response.status_code == 202, response.content
    return LoginChallenge.objects.get(merchant=merchant, email=address)


def code_in(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            text = part.get_payload(decode=True).decode()
            return re.search(r"^\s+(\d{6})\s*$", text, re.MULTILINE).group(1)
    raise AssertionError("no text part")


def test_email_queued_by_the_api_is_delivered_by_the_worker(transactional_db, api_client, tmp_path):
    merchant = MerchantFactory(name="Kopi Worker", slug="kopi-worker")
    outbox = tmp_path / "outbox"
    # django-environ keeps what follows "filemail://" minus one slash: four make it absolute.
    with celery_worker(tmp_path, email_url=f"filemail:///{outbox}") as worker:
        challenge = request_otp(api_client, merchant, "dewi@example.com")
        worker.wait_for_log(r"login_challenge_send_task\[[\w-]+\] succeeded in [\d.]+s: True")

    files = list(outbox.iterdir())
    assert len(files) == 1
    message = email.message_from_bytes(files[0].read_bytes())
    assert message["To"] == "dewi@example.com"
    assert "Kopi Worker" in message["From"]
    challenge.refresh_from_db()
    assert challenge.sent_at is not None

    # The code the worker rebuilt from the challenge is the one that signs in.
    response = api_client.post(
        "/api/v1/auth/customer/verify-otp",
        {"merchant": merchant.slug, "email": "dewi@example.com", "otp": code_in(message)},
        format="json",
    )
    assert response.status_code == 200, response.content


class FlakySmtpServer(socketserver.ThreadingTCPServer):
    """Just enough SMTP: the first message gets `451` (try again later), later ones `250`."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, refuse_first: int = 1):
        super().__init__(("127.0.0.1", 0), SmtpHandler)
        self.refuse_first = refuse_first
        self.attempts = 0
        self.accepted: list[bytes] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.server_address[1]}"


class SmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        server: FlakySmtpServer = self.server
        self.reply("220 flaky.test ESMTP")
        while line := self.rfile.readline():
            verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.reply("250-flaky.test")
                self.reply("250 8BITMIME")
            elif verb in {"HELO", "MAIL", "RCPT", "RSET", "NOOP"}:
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = b"".join(iter(lambda: self.rfile.readline(), b".\r\n"))
                with server.lock:
                    server.attempts += 1
                    refused = server.attempts <= server.refuse_first
                    if not refused:
                        server.accepted.append(data)
                if refused:
                    self.reply("451 4.3.0 Mailbox busy, try again later")
                else:
                    self.reply("250 2.0.0 Queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Not implemented")


@pytest.fixture
def flaky_smtp():
    server = FlakySmtpServer(refuse_first=1)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_retried_email_is_sent_once(transactional_db, api_client, tmp_path, flaky_smtp):
    from customers.tasks import login_challenge_send_task

    merchant = MerchantFactory(name="Kopi Retry", slug="kopi-retry")
    with celery_worker(tmp_path, email_url=flaky_smtp.url, EMAIL_TIMEOUT="5") as worker:
        challenge = request_otp(api_client, merchant, "wayan@example.com")
        # The temporary refusal makes the task retry (backoff under a second the first time).
        worker.wait_for_log(r"login_challenge_send_task\[[\w-]+\] retry: Retry in")
        worker.wait_for_log(r"login_challenge_send_task\[[\w-]+\] succeeded in [\d.]+s: True")
        # A redelivery of the same task (acks_late after a crash, a duplicate publish) finds
        # the email claimed and sends nothing.
        login_challenge_send_task.delay(challenge.pk)
        worker.wait_for_log(r"login_challenge_send_task\[[\w-]+\] succeeded in [\d.]+s: False")

    assert flaky_smtp.attempts == 2
    assert len(flaky_smtp.accepted) == 1
    message = email.message_from_bytes(flaky_smtp.accepted[0])
    assert message["To"] == "wayan@example.com"
    challenge.refresh_from_db()
    assert challenge.sent_at is not None
