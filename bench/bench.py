"""`make bench`: the product's hot endpoints against a bare-Django baseline, on real parts.

1. Resets the `pos_bench` PostgreSQL database, migrates it and loads a year of a busy shop
   and of a photobox chain (`bench.dataset`: 100k orders with their lines and events, 1k
   products, 20k customers; 100k photo sessions at four kiosks, with the photos still online).
2. In-process (no server, no load generator): counts SQL queries per request with
   CaptureQueriesContext, each endpoint at two sizes, to show that the count does not grow with
   page size or lines, and times the median request over BENCH_INPROCESS calls. That time is what
   one request costs the product itself, the figure to compare before and after a change on a
   shared machine (`python -m bench.profile` breaks it down statement by statement). Requests go
   through Django's test client, except the poll and the baseline: those are called through the
   WSGI application gunicorn serves (`bench.wsgi`, where the bare handler is), as wrk reaches them.
3. Serves the product on gunicorn (2 sync workers, DEBUG off) and drives each endpoint with wrk
   on loopback: requests/s, p50, p95 and p99 latency, errors, throughput as a ratio to the baseline
   (a bare view with no middleware doing the poll's one indexed read, `bench.baseline`), and the
   CPU time the gunicorn workers spent per request (steadier than requests/s when the machine
   is shared: other work slows a run down but does not make a request cost more CPU).
4. Writes the table, the targets and the machine to docs/benchmarks.md.

Settings (environment): BENCH_SECONDS (per endpoint, default 30), BENCH_WARMUP (2),
BENCH_INPROCESS (in-process calls timed per endpoint and size, default 30),
BENCH_CONNECTIONS (8), BENCH_THREADS (2), BENCH_ORDERS (100000), BENCH_SESSIONS (100000),
BENCH_REUSE_DB=1 (keep a loaded database), BENCH_CONDITIONS (free text on how quiet the machine
was), BENCH_DATABASE_URL, BENCH_REDIS_URL, BENCH_NO_DOCS=1 (print only),
BENCH_ENDPOINTS=poll,products (only those and the baseline, while working on one; the docs are
then left as they are).
"""

import io
import itertools
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common, dataset

SECONDS = int(os.environ.get("BENCH_SECONDS", "30"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "2"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
IN_PROCESS_CALLS = int(os.environ.get("BENCH_INPROCESS", "30"))
POLL_IDS = 100  # sessions the kiosk poll rotates through
# The kiosk poll's throughput as a share of the bare baseline's (docs/benchmarks.md, Targets).
POLL_TARGET = 0.70
POLL_PATH = "/api/v1/photobox/transactions/external/{}"


@dataclass
class Fixture:
    """What the requests need: the shop, a staff token, an admin session, numbers to read."""

    merchant_id: int
    slug: str
    token: str
    session_cookie: str
    tracked_ids: list[int]
    untracked_ids: list[int]
    kiosk: dataset.Kiosk
    # External ids of the kiosk's sessions the poll asks about: its PENDING ones and COMPLETED
    # ones from across the year, shuffled.
    poll_ids: list[str]

    @property
    def token_header(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}"}

    def order_body(self, rng: random.Random, lines: int) -> str:
        # One tracked product (stock reserved) and the rest untracked, as at a counter.
        products = [rng.choice(self.tracked_ids), *rng.sample(self.untracked_ids, lines - 1)]
        return json.dumps(
            {
                "order_type": "takeaway",
                "lines": [{"product_id": pk, "qty": rng.randint(1, 2)} for pk in products],
            }
        )


@dataclass
class Endpoint:
    key: str
    label: str
    load: Callable[[str, Fixture], common.Load]
    # (size label, callable making one request in-process) at two sizes: queries per request.
    sizes: Callable[[Fixture], list[tuple[str, Callable[[], object]]]]
    note: str = ""
    result: dict = field(default_factory=dict)
    queries: list[tuple[str, int]] = field(default_factory=list)
    # (size label, median milliseconds per request in-process) at the same two sizes.
    timings: list[tuple[str, float]] = field(default_factory=list)


def prepare(shop) -> Fixture:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from merchants.api.authentication import staff_token_create
    from photobox.models import PhotoSession

    owner = get_user_model().objects.get(username="bench-owner-0")
    client = Client()
    client.force_login(owner)
    kiosk = dataset.kiosks()[0]
    sessions = PhotoSession.objects.filter(location_id=kiosk.location_id)
    pending = list(
        sessions.filter(status=PhotoSession.Status.PENDING).values_list("external_id", flat=True)
    )
    completed = list(
        sessions.filter(status=PhotoSession.Status.COMPLETED)
        .order_by("?")
        .values_list("external_id", flat=True)[: POLL_IDS - len(pending)]
    )
    poll_ids = pending + completed
    random.Random(dataset.SEED).shuffle(poll_ids)
    return Fixture(
        merchant_id=shop.merchant_id,
        slug=shop.slug,
        token=staff_token_create(user=owner),
        session_cookie=f"sessionid={client.cookies['sessionid'].value}",
        tracked_ids=shop.tracked_ids,
        untracked_ids=shop.untracked_ids,
        kiosk=kiosk,
        poll_ids=poll_ids,
    )


# --- query counts, in-process ----------------------------------------------------------------


def capture_queries(call: Callable[[], object]) -> list[dict]:
    """The SQL statements of one request (`sql`, `time` in seconds as a string)."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    call()  # warm: once-a-minute token touch, content types, cached lookups
    # A request through the WSGI handler empties the query log when it starts: start empty.
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        response = call()
    status = getattr(response, "status_code", 200)
    if status >= 400:
        raise SystemExit(f"In-process request failed with {status}: {response.content[:500]}")
    # Read now: the next request's `request_started` empties the connection's query log.
    return list(captured.captured_queries)


def count_queries(call: Callable[[], object]) -> int:
    return len(capture_queries(call))


def median_ms(call: Callable[[], object], calls: int = IN_PROCESS_CALLS) -> float:
    """Median wall time of `calls` requests in-process, after one warm-up call."""
    call()
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _api_get(fixture: Fixture, path: str, auth: bool = True):
    from django.test import Client

    client = Client()
    headers = fixture.token_header if auth else None
    return lambda: client.get(path, headers=headers)


def _menu_get(fixture: Fixture, limit: int, *, cached: bool):
    """The public menu in-process: answered from the cache, or built again (the catalog's
    version bumped before each call, as a change to the menu would)."""
    from catalog.menu_cache import catalog_version_bump

    get = _api_get(fixture, f"/api/v1/public/{fixture.slug}/products?limit={limit}", auth=False)
    if cached:
        return get

    def rebuilt():
        catalog_version_bump(fixture.merchant_id)
        return get()

    return rebuilt


def _products_get(fixture: Fixture, limit: int, *, cached: bool):
    """The staff product list in-process: answered from the cache, or built again (the stock
    version replaced before each call, as a sale would)."""
    from catalog.menu_cache import stock_version_bump_many

    get = _api_get(fixture, f"/api/v1/products?limit={limit}")
    if cached:
        return get

    def rebuilt():
        stock_version_bump_many([fixture.merchant_id])  # outside a transaction: at once
        return get()

    return rebuilt


def _order_post(fixture: Fixture, lines: int):
    from django.test import Client

    client = Client()
    rng = random.Random(lines)

    def post():
        return client.post(
            "/api/v1/orders",
            fixture.order_body(rng, lines),
            content_type="application/json",
            headers={**fixture.token_header, "Idempotency-Key": str(uuid.uuid4())},
        )

    return post


def _admin_changelist(fixture: Fixture, per_page: int):
    from django.contrib import admin
    from django.test import Client

    from orders.models import Order

    client = Client()
    client.cookies["sessionid"] = fixture.session_cookie.split("=", 1)[1]
    model_admin = admin.site._registry[Order]

    def get():
        default = model_admin.list_per_page
        model_admin.list_per_page = per_page
        try:
            return client.get("/admin/orders/order/")
        finally:
            model_admin.list_per_page = default

    return get


@dataclass
class WsgiAnswer:
    status_code: int
    content: bytes


def wsgi_get(path: str, headers: dict[str, str] | None = None) -> WsgiAnswer:
    """GET `path` from the application gunicorn serves (`bench.wsgi`), in this process: the bare
    baseline is there, not in Django's test client, and the poll is timed the same way."""
    from bench.wsgi import application

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_ACCEPT": "application/json",  # as wrk sends
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    environ.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()})
    started = []
    body = b"".join(application(environ, lambda status, *_: started.append(status)))
    return WsgiAnswer(int(started[0].split()[0]), body)


def _baseline_call(fixture: Fixture):
    ids = itertools.cycle(fixture.poll_ids)
    return lambda: wsgi_get(f"/bench/baseline/{fixture.kiosk.location_id}/{next(ids)}")


def _poll(fixture: Fixture, *, warm_key: bool):
    """The kiosk poll in-process, with the key's lookup cached or forgotten before each call."""
    from photobox.auth import kiosk_identity_forget, kiosk_key_hash

    ids = itertools.cycle(fixture.poll_ids)
    key_hash = kiosk_key_hash(fixture.kiosk.key)

    def get():
        if not warm_key:
            kiosk_identity_forget(key_hash)
        return wsgi_get(POLL_PATH.format(next(ids)), {"X-Kiosk-Key": fixture.kiosk.key})

    return get


# --- the endpoints ---------------------------------------------------------------------------


def _load(url: str, **kwargs) -> common.Load:
    return common.Load(url=url, seconds=SECONDS, connections=CONNECTIONS, threads=THREADS, **kwargs)


ENDPOINTS = [
    Endpoint(
        "baseline",
        "baseline: bare Django view, no middleware, one indexed read",
        lambda url, f: _load(
            url,
            paths=[f"/bench/baseline/{f.kiosk.location_id}/{i}" for i in f.poll_ids],
        ),
        lambda f: [("one read", _baseline_call(f)), ("one read", _baseline_call(f))],
        note="the poll's read: a PhotoSession by (external_id, location), same ids as the poll",
    ),
    Endpoint(
        "poll",
        "kiosk poll `GET /api/v1/photobox/transactions/external/{external_id}` (X-Kiosk-Key)",
        lambda url, f: _load(
            url,
            paths=[POLL_PATH.format(i) for i in f.poll_ids],
            headers={"X-Kiosk-Key": f.kiosk.key},
        ),
        lambda f: [
            ("key not cached", _poll(f, warm_key=False)),
            ("key cached", _poll(f, warm_key=True)),
        ],
        note=f"one kiosk polling {POLL_IDS} of its sessions in turn (its PENDING ones and "
        "COMPLETED ones from across the year); key checked on every request; encryption off",
    ),
    Endpoint(
        "products",
        "product list (cached), 100 rows `GET /api/v1/products?limit=100` (staff token)",
        lambda url, f: _load(url + "/api/v1/products?limit=100", headers=f.token_header),
        lambda f: [
            ("10 rows, built", _products_get(f, 10, cached=False)),
            ("100 rows, built", _products_get(f, 100, cached=False)),
            ("100 rows, cached", _products_get(f, 100, cached=True)),
        ],
        note="wrk's requests are answered from the cache (no stock moves during the run); "
        "built: the stock version replaced before each call, as after a sale",
    ),
    Endpoint(
        "menu",
        "public menu (cached) `GET /api/v1/public/{shop}/products?limit=100` (no login)",
        lambda url, f: _load(url + f"/api/v1/public/{f.slug}/products?limit=100"),
        lambda f: [
            ("10 rows, built", _menu_get(f, 10, cached=False)),
            ("100 rows, built", _menu_get(f, 100, cached=False)),
            ("100 rows, cached", _menu_get(f, 100, cached=True)),
        ],
        note="wrk's requests are answered from the cache (the catalog does not change during "
        "the run); built: the catalog's version bumped before each call",
    ),
    Endpoint(
        "order_create",
        "order creation, 3 lines `POST /api/v1/orders` (staff token, Idempotency-Key)",
        lambda url, f: _load(
            url + "/api/v1/orders",
            method="POST",
            headers=f.token_header,
            bodies=[f.order_body(random.Random(i), 3) for i in range(500)],
            idempotency=True,
        ),
        lambda f: [("1 line", _order_post(f, 1)), ("10 lines", _order_post(f, 10))],
        note="one tracked product per order (stock reserved), two untracked",
    ),
    Endpoint(
        "admin_orders",
        "admin order changelist `GET /admin/orders/order/` (owner session, 50 rows)",
        lambda url, f: _load(url + "/admin/orders/order/", headers={"Cookie": f.session_cookie}),
        lambda f: [("10 rows", _admin_changelist(f, 10)), ("50 rows", _admin_changelist(f, 50))],
    ),
]


# --- the run ---------------------------------------------------------------------------------


def ensure_data(stdout) -> list:
    if os.environ.get("BENCH_REUSE_DB") == "1":
        try:
            shops = dataset.shops()
        except Exception:  # no such database or tables yet
            shops = []
        if shops and dataset.kiosks():
            renewed = dataset.pending_sessions_renew()
            stdout.write(
                f"  reusing the loaded bench database (BENCH_REUSE_DB=1); {renewed} PENDING "
                "sessions given their 15 minutes again\n"
            )
            return shops
    common.reset_database(stdout)
    started = time.monotonic()
    orders = int(os.environ.get("BENCH_ORDERS", dataset.ORDERS))
    sessions = int(os.environ.get("BENCH_SESSIONS", dataset.PHOTO_SESSIONS))
    shops = dataset.load(stdout=stdout, orders=orders, sessions=sessions)
    stdout.write(f"  data set loaded in {time.monotonic() - started:.1f} s\n")
    return shops


def ready(stdout) -> Fixture:
    """Where the bench, the soak and the profiler start: the data set (loaded now unless
    BENCH_REUSE_DB finds one), the cache emptied, then the fixture's token and session made."""
    shops = ensure_data(stdout)
    common.clear_cache()
    return prepare(shops[0])


def data_counts() -> dict[str, int]:
    from catalog.models import Product
    from customers.models import Customer
    from orders.models import Order, OrderEvent, OrderItem
    from photobox.models import KioskLocation, Photo, PhotoSession

    return {
        "orders": Order.objects.count(),
        "order lines": OrderItem.objects.count(),
        "order events": OrderEvent.objects.count(),
        "products": Product.objects.count(),
        "customers": Customer.objects.count(),
        "photo sessions": PhotoSession.objects.count(),
        "photos online": Photo.objects.count(),
        "kiosk locations": KioskLocation.objects.count(),
    }


def selected() -> list[Endpoint]:
    """BENCH_ENDPOINTS (keys, comma-separated; the baseline always runs), else all."""
    wanted = {key for key in os.environ.get("BENCH_ENDPOINTS", "").split(",") if key}
    unknown = wanted - {e.key for e in ENDPOINTS}
    if unknown:
        raise SystemExit(f"Unknown BENCH_ENDPOINTS {', '.join(sorted(unknown))}")
    return [e for e in ENDPOINTS if not wanted or e.key in wanted | {"baseline"}]


def main() -> None:
    out = sys.stdout
    started = time.monotonic()
    endpoints = selected()
    env = common.configure()
    out.write(f"Bench database {env['DATABASE_URL']}, Redis {env['REDIS_URL']}\n")
    fixture = ready(out)
    counts = data_counts()
    info = common.machine()

    out.write("Counting SQL queries and timing requests in-process\n")
    for endpoint in endpoints:
        calls = endpoint.sizes(fixture)
        endpoint.queries = [(size, count_queries(call)) for size, call in calls]
        endpoint.timings = [(size, median_ms(call)) for size, call in calls]
        timings = ", ".join(f"{ms:.1f} ms ({size})" for size, ms in endpoint.timings)
        out.write(f"  {endpoint.key}: {endpoint.queries}, median {timings}\n")

    run_id = uuid.uuid4().hex[:8]
    with common.gunicorn(env) as url:
        for endpoint in endpoints:
            load = endpoint.load(url, fixture)
            if WARMUP:
                common.run_wrk(
                    common.Load(**{**load.__dict__, "seconds": WARMUP}), run_id=f"{run_id}w"
                )
            cpu = common.server_cpu_seconds(url)
            endpoint.result = common.run_wrk(load, run_id=run_id)
            r, latency = endpoint.result, endpoint.result["latency_us"]
            r["cpu_ms"] = (common.server_cpu_seconds(url) - cpu) / max(r["requests"], 1) * 1000
            out.write(
                f"  {endpoint.key}: {r['rps']:.1f} req/s, p50 {_ms(latency['p50'])} ms, "
                f"p95 {_ms(latency['p95'])} ms, p99 {_ms(latency['p99'])} ms, "
                f"errors {r['errors']} {r['statuses']}, "
                f"server CPU {r['cpu_ms']:.2f} ms per request\n"
            )

    info["load average at the end"] = common.load_average()
    section = report(info, counts, time.monotonic() - started)
    out.write("\n" + section + "\n")
    if os.environ.get("BENCH_NO_DOCS") != "1" and endpoints == ENDPOINTS:
        common.write_bench_section(section)
        out.write(f"Written to {common.DOCS.relative_to(common.BASE_DIR)}\n")
    failed = [e.key for e in ENDPOINTS if e.result and e.result["errors"]]
    if failed:
        raise SystemExit(f"Errors (non-2xx or socket) on: {', '.join(failed)}")


def _ms(value_us: float) -> str:
    return f"{value_us / 1000:.1f}"


def report(info: dict, counts: dict, elapsed: float) -> str:
    by_key = {e.key: e for e in ENDPOINTS}
    baseline = by_key["baseline"].result["rps"]
    rows = []
    for e in ENDPOINTS:
        if not e.queries:  # left out by BENCH_ENDPOINTS
            continue
        queries = " · ".join(f"{n} ({size})" for size, n in e.queries)
        timings = " · ".join(f"{ms:.1f} ({size})" for size, ms in e.timings)
        if e.key == "baseline":
            queries, timings = str(e.queries[0][1]), f"{e.timings[0][1]:.1f}"
        r = e.result
        rows.append(
            f"| {e.label} | {r['rps']:.0f} | {_ms(r['latency_us']['p50'])} | "
            f"{_ms(r['latency_us']['p95'])} | {_ms(r['latency_us']['p99'])} | "
            f"{r['errors']} | {r['rps'] / baseline:.2f} | "
            f"{r['cpu_ms']:.2f} | {queries} | {timings} | {e.note} |"
        )

    def poll_throughput() -> str:
        poll = by_key["poll"]
        ratio = poll.result["rps"] / baseline
        verdict = "met" if ratio >= POLL_TARGET else "**not met**"
        cpu = by_key["baseline"].result["cpu_ms"] / poll.result["cpu_ms"]
        return (
            f"{verdict} ({ratio:.2f}: {poll.result['rps']:.0f} vs {baseline:.0f} requests/s; "
            f"by server CPU per request {cpu:.2f})"
        )

    def poll_queries() -> str:
        counts_ = dict(by_key["poll"].queries)
        cold, warm = counts_["key not cached"], counts_["key cached"]
        verdict = "met" if cold <= 2 and warm == 1 else "**not met**"
        return f"{verdict} ({cold} with the key's lookup not cached, {warm} with it cached)"

    def flat(key: str) -> str:
        compared = [(size, n) for size, n in by_key[key].queries if "cached" not in size]
        verdict = "met" if len({n for _, n in compared}) == 1 else "**not met**"
        sizes = " vs ".join(f"{n} at {size}" for size, n in compared)
        return f"{verdict} ({sizes})"

    targets = []
    if by_key["poll"].queries:
        targets += [
            (f"kiosk poll ≥ {POLL_TARGET:.2f} × baseline throughput", poll_throughput()),
            ("kiosk poll: at most 2 SQL queries, 1 once the key is cached", poll_queries()),
        ]
    for key, name in (
        ("products", "product list: queries flat in page size"),
        ("menu", "public menu, built: queries flat in page size"),
        ("admin_orders", "admin order changelist: queries flat in page size"),
        ("order_create", "order creation: queries flat in lines"),
    ):
        if by_key[key].queries:
            targets.append((name, flat(key)))
    conditions = os.environ.get(
        "BENCH_CONDITIONS", "not stated (set BENCH_CONDITIONS to say how quiet the machine was)"
    )
    data = ", ".join(f"{n:,} {what}" for what, n in counts.items())
    return "\n".join(
        [
            f"## Latest bench run: {info['date']}",
            "",
            f"**Conditions:** {conditions}. wrk {THREADS} threads × {CONNECTIONS} connections, "
            f"{SECONDS} s per endpoint after {WARMUP} s of warm-up, on loopback; gunicorn 2 sync "
            f"workers; the whole `make bench` took {elapsed / 60:.1f} min.",
            "",
            f"**Data set:** {data}.",
            "",
            "| endpoint | requests/s | p50 ms | p95 ms | p99 ms | errors | × baseline | "
            "server CPU ms per request | SQL queries per request | "
            "in-process ms per request (median) | note |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|",
            *rows,
            "",
            "| target | result |",
            "|---|---|",
            *(f"| {name} | {result} |" for name, result in targets),
            "",
            common.machine_table(info),
        ]
    )


if __name__ == "__main__":
    main()
