"""`make redis-outage-soak`: Redis is killed in the middle of steady traffic, then comes back.

On loopback: the product on gunicorn (gthread), a Celery worker and beat, PostgreSQL, and a
Redis of the soak's own (a free port, never the shared one) that is cache, throttle store and
broker at once. Cashiers create orders for customers (an Idempotency-Key each) and take cash
for them; kiosks poll their sessions. After OUTAGE_AT seconds Redis is killed (SIGKILL) for
OUTAGE_SECONDS, then started again on its append-only file. Then:

- 0 errors: every order create a 201, every payment a 200, every poll a 200, before, during
  and after the outage (no 5xx, no 429, no refused connection);
- 0 lost orders: every 201 is an order in the database, and the shop has no other;
- every paid order's receipt mailed exactly once (the file email backend), the receipts of
  orders paid during the outage from the outbox, sent by the beat sweep after Redis returned;
- no task left in the outbox.

Settings (environment): OUTAGE_SOAK_SECONDS (40), OUTAGE_AT_SECONDS (15), OUTAGE_SECONDS (10),
SOAK_ORDER_RATE (orders a second, 4; each is two requests), SOAK_POLL_RATE (polls a second,
20), SOAK_DATABASE_URL (default: DATABASE_URL's server, database pos_outage_soak),
BENCH_CONDITIONS, BENCH_NO_DOCS=1. The figures go into docs/operations.md.
"""

import os
import random
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common, stack, traffic
from bench.soak_data import (
    beat_interval_set,
    database_ready,
    operations_section_write,
    receipts_in,
    soak_database_url,
    soak_environment,
    soak_shop_create,
)
from bench.soak_data import verdict as soak_verdict

SECONDS = int(os.environ.get("OUTAGE_SOAK_SECONDS", "40"))
OUTAGE_AT = int(os.environ.get("OUTAGE_AT_SECONDS", "15"))
OUTAGE = int(os.environ.get("OUTAGE_SECONDS", "10"))
ORDER_RATE = float(os.environ.get("SOAK_ORDER_RATE", "4"))
POLL_RATE = float(os.environ.get("SOAK_POLL_RATE", "20"))
SWEEP_SECONDS = 5
RECEIPT_WAIT_SECONDS = 120
START, END = "<!-- redis-outage-soak:start -->", "<!-- redis-outage-soak:end -->"

CREATE, PAY, POLL = "order create", "cash payment", "kiosk poll"
EXPECTED = {CREATE: 201, PAY: 200, POLL: 200}


def environment(folder: Path, redis_port: int) -> dict[str, str]:
    database = soak_database_url("pos_outage_soak")
    return {
        **soak_environment(folder, database=database, redis_port=redis_port),
        "OUTBOX_SWEEP_EVERY_SECONDS": str(SWEEP_SECONDS),
    }


class Phases:
    """before → outage → after, as the soak's controller moves it."""

    def __init__(self):
        self.name = "before"

    def __call__(self) -> str:
        return self.name


def main() -> None:
    out = sys.stdout
    run_id = uuid.uuid4().hex[:8]
    folder = Path(tempfile.mkdtemp(prefix=f"pos-outage-soak-{run_id}-"))
    (folder / "mail").mkdir()
    redis_port, web_port = stack.free_port(), stack.free_port()
    env = environment(folder, redis_port)
    os.environ.pop("CELERY_BROKER_URL", None)
    # This process prepares the data and reads the books; it does not need the soak's Redis.
    os.environ.update({**env, "REDIS_URL": ""})
    import django

    django.setup()
    out.write(f"Outage soak {run_id}: database {env['DATABASE_URL']}, logs in {folder}\n")
    database_ready(env["DATABASE_URL"], out)
    beat_interval_set("merchants.tasks.outbox_send_pending_task", SWEEP_SECONDS)
    shop = soak_shop_create(run_id=run_id)
    from django.utils import timezone

    events: dict = {"run started": timezone.now()}
    info = common.machine()
    started = time.monotonic()

    phases = Phases()
    recorder = traffic.Recorder(phases)
    books = traffic.Books()
    with stack.Stack(folder) as services:
        redis = services.redis(redis_port)
        worker_env = {**env, "LOG_LEVEL": "INFO"}
        services.celery_worker(worker_env)
        services.celery_beat(worker_env)
        services.gunicorn(web_port, env)
        web = traffic.Http(f"http://127.0.0.1:{web_port}", recorder)

        def cashier(seed: int):
            rng = random.Random(seed)

            def step() -> None:
                body = {
                    "order_type": "takeaway",
                    "customer_id": rng.choice(shop.customer_ids),
                    "lines": [
                        {"product_id": pk, "qty": rng.randint(1, 3)}
                        for pk in rng.sample(shop.product_ids, 3)
                    ],
                }
                headers = {**shop.auth, "Idempotency-Key": f"{run_id}-{uuid.uuid4().hex}"}
                status, order = web.call(
                    CREATE, "POST", "/api/v1/orders", body=body, headers=headers
                )
                if status != 201:
                    return
                books.add("numbers", order["number"])
                status, paid = web.call(
                    PAY,
                    "POST",
                    f"/api/v1/orders/{order['id']}/pay-cash",
                    body={"amount_paid": order["rounded_amount"]},
                    headers=shop.auth,
                )
                if status == 200 and paid.get("order_payment_status") == "paid":
                    books.add("paid", order["number"])

            return step

        def kiosk(seed: int):
            rng = random.Random(seed)
            headers = {"X-Kiosk-Key": shop.kiosk_key}

            def step() -> None:
                external_id = rng.choice(shop.poll_ids)
                web.call(
                    POLL,
                    "GET",
                    f"/api/v1/photobox/transactions/external/{external_id}",
                    headers=headers,
                )

            return step

        stop = threading.Event()
        until = time.monotonic() + SECONDS
        out.write(
            f"Traffic for {SECONDS} s: {ORDER_RATE:g} orders/s (create + pay), "
            f"{POLL_RATE:g} polls/s; Redis killed at {OUTAGE_AT} s for {OUTAGE} s\n"
        )
        threads = traffic.run_actors(
            [cashier(i) for i in range(4)], rate=ORDER_RATE, until=until, stop=stop
        ) + traffic.run_actors([kiosk(i) for i in range(4)], rate=POLL_RATE, until=until, stop=stop)
        began = time.monotonic()
        time.sleep(OUTAGE_AT)
        redis.kill()
        phases.name, events["killed"] = "outage", timezone.now()
        out.write(f"  {time.monotonic() - began:.1f} s: Redis killed\n")
        time.sleep(OUTAGE)
        services.restart(redis, port=redis_port)
        phases.name, events["back"] = "after", timezone.now()
        out.write(f"  {time.monotonic() - began:.1f} s: Redis back\n")
        for thread in threads:
            thread.join()
        out.write("  traffic over; waiting for the receipts\n")
        receipts, pending, waited = wait_for_receipts(folder, books, brand=shop.name)
        out.write(f"  waited {waited:.0f} s for the last receipt\n")
        logs = {service.name: service.text() for service in services.services}
        restarts = sum(service.restarts for service in services.services)
    findings = check(shop, recorder, books, receipts, pending, events, logs)
    findings["counts"]["worker restarts (exited when the broker went, started again)"] = restarts
    section = summary(info, recorder, findings, time.monotonic() - started)
    out.write("\n" + section + "\n")
    if os.environ.get("BENCH_NO_DOCS") != "1":
        operations_section_write(START, END, section)
        out.write("Written to docs/operations.md\n")
    failed = [name for name in FINDINGS if findings[name]]
    if failed:
        raise SystemExit(f"Outage soak failed: {', '.join(failed)} (logs in {folder})")


def wait_for_receipts(folder: Path, books: traffic.Books, *, brand: str) -> tuple[dict, int, float]:
    from merchants.models import OutboxTask

    started = time.monotonic()
    while True:
        receipts = receipts_in(folder / "mail", brand=brand)
        pending = OutboxTask.objects.filter(sent_at__isnull=True).count()
        done = pending == 0 and all(number in receipts for number in books.paid)
        if done or time.monotonic() - started > RECEIPT_WAIT_SECONDS:
            return receipts, pending, time.monotonic() - started
        time.sleep(1)


FINDINGS = ("errors", "lost orders", "receipts missing", "receipts twice", "outbox pending")


def check(shop, recorder, books, receipts, pending, events, logs) -> dict:
    from merchants.models import OutboxTask
    from orders.models import Order

    errors = [
        f"{a.kind} during {a.phase}: HTTP {a.status} {str(a.body)[:120]}"
        for a in recorder.answers
        if a.status != EXPECTED[a.kind]
    ]
    orders = Order.objects.filter(merchant_id=shop.merchant_id)
    stored = set(orders.values_list("number", flat=True))
    paid = set(orders.filter(payment_status="paid").values_list("number", flat=True))
    answered = set(books.numbers)
    kept = OutboxTask.objects.filter(created_at__gte=events["run started"])
    last_sent = max(kept.values_list("sent_at", flat=True), default=None, key=lambda t: t or 0)
    return {
        "errors": errors,
        "lost orders": sorted(answered ^ stored)[:20],
        "receipts missing": sorted(n for n in paid if receipts.get(n, 0) == 0)[:20],
        "receipts twice": sorted(n for n, c in receipts.items() if c > 1)[:20],
        "outbox pending": [f"{pending} row(s)"] if pending else [],
        "counts": {
            "orders answered 201": len(answered),
            "orders stored": len(stored),
            "orders paid": len(paid),
            "receipts mailed": sum(receipts.get(n, 0) for n in paid),
            "receipts that waited in the outbox": kept.filter(
                task_name="orders.send_receipt"
            ).count(),
            "tasks kept in the outbox in all": kept.count(),
            "last of them sent, seconds after Redis was back": (
                f"{(last_sent - events['back']).total_seconds():.1f}" if last_sent else "none"
            ),
            "cache warnings logged": sum(t.count("Cache unreachable") for t in logs.values()),
        },
        "outage seconds": (events["back"] - events["killed"]).total_seconds(),
    }


def summary(info: dict, recorder: traffic.Recorder, findings: dict, elapsed: float) -> str:
    conditions = os.environ.get("BENCH_CONDITIONS", "not stated")

    def verdict(name: str) -> str:
        return soak_verdict(findings[name])

    rows = []
    order = {"before": 0, "outage": 1, "after": 2}
    figures_by_group = sorted(recorder.summary().items(), key=lambda i: (i[0][0], order[i[0][1]]))
    for (kind, phase), figures in figures_by_group:
        statuses = ", ".join(
            f"{n} × {s or 'refused'}" for s, n in sorted(figures["statuses"].items())
        )
        rows.append(
            f"| {kind} | {phase} | {figures['requests']} | {statuses} | "
            f"{figures['p50']:.0f} / {figures['p95']:.0f} / {figures['max']:.0f} |"
        )
    counts = findings["counts"]
    return "\n".join(
        [
            f"### Redis outage soak, {info['date']}",
            "",
            f"**Conditions:** {conditions}. {SECONDS} s of traffic ({ORDER_RATE:g} orders/s, "
            f"each created then paid in cash, {POLL_RATE:g} kiosk polls/s); Redis killed "
            f"(SIGKILL) at {OUTAGE_AT} s and started again {findings['outage seconds']:.1f} s "
            f"later on its append-only file; gunicorn gthread 2 workers × 4 threads; one Celery "
            f"worker (2 processes) and beat, outbox sweep every {SWEEP_SECONDS} s; commit "
            f"{info['commit']}; {info['cpu']}, {info['cores']} cores; load average at start "
            f"{info['load average at start']}, at the end {common.load_average()}; "
            f"{elapsed:.0f} s in all.",
            "",
            "| requests | phase | count | answers | latency p50 / p95 / max ms |",
            "|---|---|---|---|---|",
            *rows,
            "",
            "| check | result |",
            "|---|---|",
            f"| errors (any answer but 201/200: 5xx, 429, refused) | {verdict('errors')} |",
            f"| lost orders (201 without a stored order, or the reverse) | "
            f"{verdict('lost orders')} |",
            f"| paid orders without a receipt | {verdict('receipts missing')} |",
            f"| receipts mailed twice | {verdict('receipts twice')} |",
            f"| tasks still in the outbox | {verdict('outbox pending')} |",
            f"| counts | {', '.join(f'{k}: {v}' for k, v in counts.items())} |",
        ]
    )


if __name__ == "__main__":
    main()
