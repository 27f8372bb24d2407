"""`make soak`: minutes of steady traffic on loopback, then the books are checked.

Two wrk streams run at once, each at a steady rate paced per thread by `bench/wrk.lua`, against
the product on gunicorn (as in `make bench`, on the same database: it is loaded first when
missing): order creations (3 lines, a unique Idempotency-Key each), every order number answered
with a 201 recorded; and the kiosk poll, one kiosk's key asking about its PENDING and COMPLETED
sessions in turn. Then:

- zero errors: every order answer was a 201, every poll answer a 200, and no socket failed;
- zero lost orders: every recorded number is an order in the database, none twice, and the
  database has no order the generator was not told about;
- zero oversold units: for every tracked product, stock before − units reserved by the run's
  orders that are not cancelled = stock after, and no stock is negative.

The summary is printed and appended to docs/benchmarks.md; the exit status says pass or fail.

gunicorn runs one sync worker per wrk connection (SOAK_WORKERS). A paced wrk connection opens its
socket as soon as the previous answer is in and then waits for its next slot to write; a sync
worker that accepts it waits with it, so with fewer workers than connections every request
queued behind an idle socket (a poll waited 400 ms behind order connections idling between
their slots, and the poll's rate was not reached). Real clients write as soon as they connect,
and behind a buffering proxy, as sync workers are meant to run, idle sockets never reach them.

Settings (environment): SOAK_SECONDS (default 300), SOAK_RATE (orders per second, 20),
SOAK_POLL_RATE (polls per second, 50: a hundred and fifty kiosks polling every 3 s),
SOAK_CONNECTIONS (orders, 8), SOAK_POLL_CONNECTIONS (2), SOAK_THREADS (2 per stream),
SOAK_WORKERS (gunicorn sync workers, one per connection: 10), BENCH_CONDITIONS,
BENCH_NO_DOCS=1, and the bench's database and Redis settings.
"""

import os
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

SECONDS = int(os.environ.get("SOAK_SECONDS", "300"))
RATE = float(os.environ.get("SOAK_RATE", "20"))
POLL_RATE = float(os.environ.get("SOAK_POLL_RATE", "50"))
POLL_CONNECTIONS = int(os.environ.get("SOAK_POLL_CONNECTIONS", "2"))
CONNECTIONS = int(os.environ.get("SOAK_CONNECTIONS", "8"))
THREADS = int(os.environ.get("SOAK_THREADS", "2"))
WORKERS = int(os.environ.get("SOAK_WORKERS", str(CONNECTIONS + POLL_CONNECTIONS)))


def stock_of(merchant_id: int) -> dict[int, int]:
    from catalog.models import Product

    return dict(
        Product.objects.filter(merchant_id=merchant_id, track_stock=True).values_list("pk", "stock")
    )


def stream_errors(report: dict, *, expected: int, name: str = "") -> list[str]:
    """Every answer of one stream that is not `expected`, and every socket error."""
    prefix = f"{name}: " if name else ""
    statuses = Counter({int(k): v for k, v in report["statuses"].items()})
    return [f"{prefix}{n} × HTTP {s}" for s, n in sorted(statuses.items()) if s != expected] + [
        f"{prefix}{n} × socket {kind}" for kind, n in report["socket_errors"].items() if n
    ]


def check(*, merchant_id: int, first_order_id: int, before: dict, report: dict, stopped_at) -> dict:
    """The three promises, from the database; returns named findings (empty lists pass)."""
    from datetime import timedelta

    from django.db.models import Sum

    from orders.models import Order, OrderItem

    statuses = Counter({int(k): v for k, v in report["statuses"].items()})
    new_orders = Order.objects.filter(merchant_id=merchant_id, pk__gte=first_order_id)
    stored = dict(new_orders.values_list("number", "created_at"))
    answered = report["numbers"]
    answered_set = set(answered)
    unanswered = {n: at for n, at in stored.items() if n not in answered_set}
    # wrk stops at its deadline without reading the answers still on the way: those orders
    # exist and were never reported. They can only be the last requests, one per connection.
    window = stopped_at - timedelta(seconds=common.WRK_TIMEOUT_SECONDS)
    in_flight = sorted(n for n, at in unanswered.items() if at >= window)
    stray = sorted(set(unanswered) - set(in_flight))
    if len(in_flight) > CONNECTIONS:
        stray, in_flight = stray + in_flight, []
    findings = {
        "errors": stream_errors(report, expected=201),
        "lost": sorted(answered_set - stored.keys())[:20],
        "answered twice": sorted(n for n, c in Counter(answered).items() if c > 1)[:20],
        "never answered": stray[:20],
        "oversold": [],
    }
    reserved = dict(
        OrderItem.objects.filter(order__in=new_orders.exclude(status=Order.Status.CANCELLED))
        .values_list("product_id")
        .annotate(units=Sum("reserved_quantity"))
    )
    after = stock_of(merchant_id)
    for pk, start in before.items():
        expected = start - (reserved.get(pk) or 0)
        if after[pk] != expected or after[pk] < 0:
            findings["oversold"].append(f"product {pk}: {after[pk]} in stock, {expected} expected")
    findings["counts"] = {
        "201 answers": statuses.get(201, 0),
        "numbers recorded": len(answered),
        "new orders stored": len(stored),
        "in flight at the stop": len(in_flight),
        "units reserved": sum(v or 0 for v in reserved.values()),
        "tracked products checked": len(before),
    }
    return findings


ORDERS = "order creation, 3 lines"
POLL = "kiosk poll"
# What each stream's every answer must be; anything else is an error.
EXPECTED = {ORDERS: 201, POLL: 200}


def streams(fixture) -> dict[str, common.Load]:
    """What the soak sends at the same time, each at its own steady rate (paths on the server)."""
    import random

    from bench.bench import POLL_PATH

    return {
        ORDERS: common.Load(
            url="/api/v1/orders",
            seconds=SECONDS,
            connections=CONNECTIONS,
            threads=THREADS,
            method="POST",
            headers=fixture.token_header,
            bodies=[fixture.order_body(random.Random(i), 3) for i in range(1000)],
            idempotency=True,
            rate=RATE,
            record=True,
        ),
        POLL: common.Load(
            url="",
            seconds=SECONDS,
            connections=POLL_CONNECTIONS,
            threads=THREADS,
            paths=[POLL_PATH.format(external_id) for external_id in fixture.poll_ids],
            headers={"X-Kiosk-Key": fixture.kiosk.key},
            rate=POLL_RATE,
        ),
    }


def main() -> None:
    from bench.bench import ready

    out = sys.stdout
    started = time.monotonic()
    os.environ.setdefault("BENCH_REUSE_DB", "1")  # a soak reuses the bench's data when it is there
    env = common.configure()
    out.write(f"Soak database {env['DATABASE_URL']}, Redis {env['REDIS_URL']}\n")
    fixture = ready(out)
    info = common.machine()

    from django.utils import timezone

    from orders.models import Order

    first_order_id = (Order.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    before = stock_of(fixture.merchant_id)

    loads = streams(fixture)
    out.write(
        f"Soaking for {SECONDS} s: {', '.join(f'{k} at {v.rate:g}/s' for k, v in loads.items())}\n"
    )
    run_id = f"soak-{uuid.uuid4().hex[:8]}"
    with (
        common.gunicorn(env, workers=WORKERS) as url,
        ThreadPoolExecutor(len(loads)) as pool,
    ):
        futures = {
            name: pool.submit(common.run_wrk, replace(load, url=url + load.url), run_id=run_id)
            for name, load in loads.items()
        }
        reports = {
            name: future.result() | {"rate": loads[name].rate} for name, future in futures.items()
        }
        stopped_at = timezone.now()
        time.sleep(1)  # let requests wrk left behind finish before the books are read
    findings = check(
        merchant_id=fixture.merchant_id,
        first_order_id=first_order_id,
        before=before,
        report=reports[ORDERS],
        stopped_at=stopped_at,
    )
    # Every stream must answer without an error, not only the orders.
    for name, report in reports.items():
        if name != ORDERS:
            findings["errors"] += stream_errors(report, expected=EXPECTED[name], name=name)
    section = summary(info, reports, findings, time.monotonic() - started)
    out.write("\n" + section + "\n")
    if os.environ.get("BENCH_NO_DOCS") != "1":
        common.append_soak_section(section)
        out.write(f"Appended to {common.DOCS.relative_to(common.BASE_DIR)}\n")
    failed = [
        name
        for name in ("errors", "lost", "answered twice", "never answered", "oversold")
        if findings[name]
    ]
    if failed:
        raise SystemExit(f"Soak failed: {', '.join(failed)}")


def summary(info: dict, reports: dict, findings: dict, elapsed: float) -> str:
    conditions = os.environ.get("BENCH_CONDITIONS", "not stated")

    def verdict(name: str) -> str:
        items = findings[name]
        return "0 ✅" if not items else f"**{len(items)}** ❌ {', '.join(items[:5])}"

    def traffic(name: str, report: dict) -> str:
        latency = {k: v / 1000 for k, v in report["latency_us"].items()}
        return (
            f"| {name} | {report['requests']} requests, {report['rps']:.1f}/s achieved; "
            f"latency p50 {latency['p50']:.1f} / p95 {latency['p95']:.1f} / "
            f"p99 {latency['p99']:.1f} / max {latency['max']:.1f} ms |"
        )

    counts = findings["counts"]
    rates = ", ".join(f"{name} at {report['rate']:g}/s" for name, report in reports.items())
    return "\n".join(
        [
            f"### Soak {info['date']}: {rates} for {SECONDS} s",
            "",
            f"**Conditions:** {conditions}. wrk {THREADS} threads per stream, {CONNECTIONS} "
            f"connections for the orders and {POLL_CONNECTIONS} for the poll, paced; gunicorn "
            f"{WORKERS} sync workers (one per connection); commit {info['commit']}; "
            f"{info['cpu']}, {info['cores']} cores; load average at start "
            f"{info['load average at start']}, at the end {common.load_average()}; "
            f"{elapsed / 60:.1f} min in all.",
            "",
            "| measure | result |",
            "|---|---|",
            *(traffic(name, report) for name, report in reports.items()),
            f"| errors (orders not 201, polls not 200, socket) | {verdict('errors')} |",
            f"| lost orders (201 without a stored order) | {verdict('lost')} |",
            f"| numbers answered twice | {verdict('answered twice')} |",
            f"| stored orders never answered (beyond those in flight at the stop) | "
            f"{verdict('never answered')} |",
            f"| oversold units (stock before − reserved ≠ stock after, or < 0) | "
            f"{verdict('oversold')} |",
            f"| counts | {', '.join(f'{k}: {v}' for k, v in counts.items())} |",
        ]
    )


if __name__ == "__main__":
    main()
