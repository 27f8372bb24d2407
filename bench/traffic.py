"""A small paced load generator for the soaks that need a conversation, not one request.

wrk (the bench's load generator) sends one request again and again; a cashier creates an order
and then takes its cash, a customer pays what the gateway answered. Here each actor is a thread
that runs its steps at a steady rate until the deadline, one fresh HTTP connection per request
(as clients behind a load balancer do), and records every answer: what, when (the soak's phase
at that moment), status, milliseconds. A refused or cut connection is recorded as status 0.
"""

import http.client
import json
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Answer:
    kind: str
    phase: str
    status: int
    ms: float
    body: dict | None = None


class Recorder:
    """Every answer of a run, thread-safe."""

    def __init__(self, phase_of: Callable[[], str]):
        self.phase_of = phase_of
        self.answers: list[Answer] = []
        self._lock = threading.Lock()

    def add(self, answer: Answer) -> None:
        with self._lock:
            self.answers.append(answer)

    def of(self, kind: str) -> list[Answer]:
        return [a for a in self.answers if a.kind == kind]

    def summary(self) -> dict[tuple[str, str], dict]:
        """(kind, phase) → requests, statuses, latency p50/p95/max in ms."""
        groups: dict[tuple[str, str], list[Answer]] = defaultdict(list)
        for answer in self.answers:
            groups[(answer.kind, answer.phase)].append(answer)
        result = {}
        for key, answers in sorted(groups.items()):
            times = sorted(a.ms for a in answers)
            result[key] = {
                "requests": len(answers),
                "statuses": dict(Counter(a.status for a in answers)),
                "p50": times[len(times) // 2],
                "p95": times[min(len(times) - 1, int(len(times) * 0.95))],
                "max": times[-1],
            }
        return result


class Http:
    """JSON over HTTP/1.1 to one base URL, a new connection per request."""

    def __init__(self, base_url: str, recorder: Recorder, *, timeout: float = 30):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.recorder, self.timeout = recorder, timeout

    def call(
        self, kind: str, method: str, path: str, *, body=None, headers=None
    ) -> tuple[int, dict | None]:
        phase = self.recorder.phase_of()
        started = time.monotonic()
        status, data = 0, None
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            payload = None if body is None else json.dumps(body).encode()
            sent = {"Accept": "application/json", "Connection": "close", **(headers or {})}
            if payload is not None:
                sent["Content-Type"] = "application/json"
            connection.request(method, path, body=payload, headers=sent)
            response = connection.getresponse()
            status, raw = response.status, response.read()
            try:
                data = json.loads(raw) if raw else None
            except ValueError:
                data = {"text": raw[:200].decode(errors="replace")}
        except OSError as error:
            data = {"error": f"{type(error).__name__}: {error}"}
        finally:
            connection.close()
        self.recorder.add(Answer(kind, phase, status, (time.monotonic() - started) * 1000, data))
        return status, data


def run_actors(
    actors: list[Callable[[], None]], *, rate: float, until: float, stop: threading.Event
) -> list[threading.Thread]:
    """Start one thread per actor; together they run `rate` steps a second until `until`
    (a monotonic time) or `stop`. Returns the threads (join them)."""
    interval = len(actors) / rate if rate else 0

    def loop(step: Callable[[], None], offset: float) -> None:
        next_at = time.monotonic() + offset
        while not stop.is_set() and next_at < until:
            delay = next_at - time.monotonic()
            if delay > 0:
                stop.wait(delay)
            step()
            next_at += interval

    threads = []
    for index, step in enumerate(actors):
        offset = interval * index / max(len(actors), 1)
        thread = threading.Thread(target=loop, args=(step, offset), daemon=True)
        thread.start()
        threads.append(thread)
    return threads


@dataclass
class Books:
    """What the load generator was told, to hold against the database afterwards."""

    numbers: list[str] = field(default_factory=list)  # every order number answered with a 201
    paid: list[str] = field(default_factory=list)  # numbers whose payment was answered as paid
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, attribute: str, value: str) -> None:
        with self._lock:
            getattr(self, attribute).append(value)
