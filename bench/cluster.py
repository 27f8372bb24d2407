"""`make cluster-soak`: on one machine, what a multi-host deployment runs, under steady traffic.

    clients ─▶ HAProxy ─┬─▶ gunicorn web1 (gthread) ─┐
                        └─▶ gunicorn web2 (gthread) ─┼─▶ PgBouncer (transaction) ─▶ PostgreSQL
      Celery worker1, worker2, beat ─────────────────┘        Redis (cache, broker) ◀─ all
      Midtrans stand-in (loopback) ◀─▶ the product's client library; its webhooks go to HAProxy

Every process is started here with its options on the command line, on free loopback ports,
and stopped by its own process id at the end (`bench/stack.py`); Redis is one of the soak's own.
For CLUSTER_SOAK_SECONDS (90) through HAProxy: cashiers create orders and take cash, customers
create orders and pay them with Snap (the stand-in settles each and sends the signed webhook,
every fifth twice), kiosks poll; at the start two owners export a year of orders at once from
the admin (`EXPORT_SYNC_MAX_ROWS` below it, so both become background jobs); half-way the owner
rotates the kiosk key and the old key is asked of every instance directly until each refuses it.
Beat periods are shortened to CLUSTER_BEAT_SECONDS (10). Then:

- 0 errors: every answer through HAProxy as expected, every webhook a 200;
- 0 lost or duplicated orders (every 201 stored once, the shop has no other), payments (every
  Snap order has exactly one paid payment, every cash order one cash payment) and emails (every
  paid order's receipt mailed exactly once, from either worker);
- every beat task sent once per period (gaps between 0.5 and 1.5 periods), and every send run
  by exactly one worker;
- the rotated key refused by every instance within PHOTOBOX_POLL_KEY_LOCAL_SECONDS (+1 s) for
  the poll, and at once for sales and the package list; the new key accepted at once;
- both exports done, with every row, while the rest kept answering;
- no web worker killed by gunicorn for its timeout ("WORKER TIMEOUT" in web1's or web2's log).

Settings (environment): CLUSTER_SOAK_SECONDS (90), CLUSTER_BEAT_SECONDS (10), SOAK_ORDER_RATE
(cash orders/s, 3), SOAK_SNAP_RATE (Snap-paid orders/s, 2), SOAK_POLL_RATE (20),
CLUSTER_EXPORT_ROWS (20000 orders bulk-loaded for the exports), SOAK_DATABASE_URL (default:
DATABASE_URL's server, database pos_cluster_soak; created when missing, never dropped),
BENCH_CONDITIONS, BENCH_NO_DOCS=1. The figures go into docs/operations.md.
"""

import json
import os
import random
import re
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import itertools

from bench import common, stack, traffic
from bench.gateway_standin import GatewayStandIn
from bench.soak_data import (
    SOAK_SERVER_KEY,
    database_ready,
    operations_section_write,
    receipts_in,
    soak_database_url,
    soak_environment,
    soak_shop_create,
)
from bench.soak_data import verdict as soak_verdict

SECONDS = int(os.environ.get("CLUSTER_SOAK_SECONDS", "90"))
BEAT_SECONDS = int(os.environ.get("CLUSTER_BEAT_SECONDS", "10"))
ORDER_RATE = float(os.environ.get("SOAK_ORDER_RATE", "3"))
SNAP_RATE = float(os.environ.get("SOAK_SNAP_RATE", "2"))
POLL_RATE = float(os.environ.get("SOAK_POLL_RATE", "20"))
EXPORT_ROWS = int(os.environ.get("CLUSTER_EXPORT_ROWS", "20000"))
POLL_LOCAL_SECONDS = 10  # PHOTOBOX_POLL_KEY_LOCAL_SECONDS, the documented bound
SETTLE_SECONDS = 120
START, END = "<!-- cluster-soak:start -->", "<!-- cluster-soak:end -->"

CREATE, CASH, SNAP, POLL, EXPORT = (
    "order create",
    "cash payment",
    "Snap payment start",
    "kiosk poll",
    "admin export (big)",
)
EXPECTED = {CREATE: 201, CASH: 200, SNAP: 201, POLL: 200, EXPORT: 302, "key rotation": 200}


def environment(folder: Path, ports: dict[str, int]) -> tuple[dict, str]:
    """The product's settings for every process, and the direct URL for migrations."""
    direct = soak_database_url("pos_cluster_soak")
    parts = urlsplit(direct)
    pooled = urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{ports['pgbouncer']}"))
    lb = f"http://127.0.0.1:{ports['lb']}"
    env = {
        **soak_environment(folder, database=pooled, redis_port=ports["redis"]),
        "DATABASE_TRANSACTION_POOLING": "true",
        "CONN_MAX_AGE": "60",
        "NUM_PROXIES": "1",
        "SITE_URL": lb,
        "MIDTRANS_SNAP_BASE_URL": f"http://127.0.0.1:{ports['gateway']}/snap/v1",
        "MIDTRANS_API_BASE_URL": f"http://127.0.0.1:{ports['gateway']}",
        # One client address sends everything; the throttles still run on every request.
        "THROTTLE_ANON": "10000000/min",
        "THROTTLE_USER": "10000000/min",
        "EXPORT_SYNC_MAX_ROWS": str(min(5000, EXPORT_ROWS - 1)),
        "PHOTOBOX_POLL_KEY_LOCAL_SECONDS": str(POLL_LOCAL_SECONDS),
    }
    return env, direct


def pgbouncer_config(folder: Path, port: int, direct: str) -> Path:
    parts = urlsplit(direct)
    name = parts.path.lstrip("/")
    config = folder / "pgbouncer.ini"
    config.write_text(
        "\n".join(
            [
                "[databases]",
                f"{name} = host={parts.hostname} port={parts.port or 5432} dbname={name} "
                f"user={parts.username}",
                "[pgbouncer]",
                "listen_addr = 127.0.0.1",
                f"listen_port = {port}",
                "auth_type = any",
                "pool_mode = transaction",
                "default_pool_size = 20",
                "max_client_conn = 500",
                "unix_socket_dir =",  # TCP only; it logs to stderr (pgbouncer.log)
                "ignore_startup_parameters = extra_float_digits,options",
                "",
            ]
        )
    )
    return config


def haproxy_config(folder: Path, port: int, webs: list[int]) -> Path:
    config = folder / "haproxy.cfg"
    servers = [
        f"    server web{i} 127.0.0.1:{web} check inter 2s fall 3 rise 2"
        for i, web in enumerate(webs, start=1)
    ]
    config.write_text(
        "\n".join(
            [
                "global",
                "    maxconn 2000",
                "defaults",
                "    mode http",
                "    timeout connect 5s",
                "    timeout client 60s",
                "    timeout server 60s",
                "    option forwardfor",
                "    option http-server-close",
                "frontend web",
                f"    bind 127.0.0.1:{port}",
                "    default_backend product",
                "backend product",
                "    balance roundrobin",
                "    option httpchk GET /health/",
                "    http-check expect status 200",
                *servers,
                "",
            ]
        )
    )
    return config


def owner_session_cookie(user) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def bulk_orders(merchant_id: int, count: int) -> None:
    """A year of past orders for the exports, written in one go."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from orders.models import Order

    today = timezone.localdate()
    rows = [
        Order(
            merchant_id=merchant_id,
            number=f"OLD-{index:07d}",
            business_date=today - timedelta(days=1 + index % 365),
            status=Order.Status.COMPLETED,
            payment_status=Order.PaymentStatus.PAID,
            subtotal_amount=Decimal(25000),
            total_amount=Decimal(27500),
            rounded_amount=Decimal(27500),
        )
        for index in range(count)
    ]
    Order.objects.bulk_create(rows, batch_size=5000)


def set_beat_periods(seconds: int) -> list[str]:
    """Every periodic task every `seconds` (the soak wants to see several periods)."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    interval, _ = IntervalSchedule.objects.get_or_create(
        every=seconds, period=IntervalSchedule.SECONDS
    )
    tasks = PeriodicTask.objects.exclude(name="celery.backend_cleanup")
    tasks.update(interval=interval, crontab=None, enabled=True, last_run_at=None)
    return sorted(tasks.values_list("task", flat=True))


def main() -> None:  # one story, told in the order it happens
    out = sys.stdout
    run_id = uuid.uuid4().hex[:8]
    folder = Path(tempfile.mkdtemp(prefix=f"pos-cluster-soak-{run_id}-"))
    folder.chmod(0o755)  # PgBouncer runs as nobody and reads its config here
    (folder / "mail").mkdir()
    ports = {n: stack.free_port() for n in ("redis", "pgbouncer", "lb", "web1", "web2", "gateway")}
    env, direct = environment(folder, ports)
    os.environ.pop("CELERY_BROKER_URL", None)
    # This process prepares the data (PostgreSQL directly) and reads the books; the cache and
    # the broker it does not need are the soak's Redis, not started yet.
    os.environ.update(
        {**env, "DATABASE_URL": direct, "DATABASE_TRANSACTION_POOLING": "false", "REDIS_URL": ""}
    )
    import django

    django.setup()
    out.write(f"Cluster soak {run_id}: database {direct} (through PgBouncer), logs in {folder}\n")
    database_ready(direct, out)
    beat_tasks = set_beat_periods(BEAT_SECONDS)
    shop = soak_shop_create(run_id=run_id, gateway=True)
    from django.contrib.auth import get_user_model

    from merchants.models import Membership, Merchant
    from merchants.services import membership_grant

    merchant = Merchant.objects.get(pk=shop.merchant_id)
    owners = list(get_user_model().objects.filter(memberships__merchant=merchant))
    second = get_user_model().objects.create_user(username=f"soak-{run_id}-2", password=None)
    membership_grant(user=second, merchant=merchant, role=Membership.Role.OWNER)
    owners.append(second)
    cookies = [owner_session_cookie(user) for user in owners]
    started_load = time.monotonic()
    bulk_orders(shop.merchant_id, EXPORT_ROWS)
    out.write(f"  {EXPORT_ROWS} past orders loaded in {time.monotonic() - started_load:.1f} s\n")
    info = common.machine()
    from django.utils import timezone

    run_started_at = timezone.now()
    started = time.monotonic()
    recorder = traffic.Recorder(lambda: "soak")
    books = traffic.Books()
    snap_numbers: list[str] = []
    rotation: dict = {}
    webhook = f"http://127.0.0.1:{ports['lb']}/api/v1/payments/midtrans/notification"
    with (
        stack.Stack(folder) as services,
        GatewayStandIn(
            port=ports["gateway"], server_key=SOAK_SERVER_KEY, webhook_url=webhook
        ) as gateway,
    ):
        services.redis(ports["redis"])
        services.binary(
            "pgbouncer",
            [
                "pgbouncer",
                "-u",
                "nobody",
                str(pgbouncer_config(folder, ports["pgbouncer"], direct)),
            ],
            ports["pgbouncer"],
        )
        worker_env = {**env, "LOG_LEVEL": "INFO"}
        services.celery_worker(worker_env, name="worker1")
        services.celery_worker(worker_env, name="worker2")
        services.gunicorn(ports["web1"], env, name="web1")
        services.gunicorn(ports["web2"], env, name="web2")
        services.binary(
            "haproxy",
            [
                "haproxy",
                "-db",
                "-f",
                str(haproxy_config(folder, ports["lb"], [ports["web1"], ports["web2"]])),
            ],
            ports["lb"],
        )
        stack.wait_for_http(f"http://127.0.0.1:{ports['lb']}/health/")
        beat = services.celery_beat(worker_env)
        beat_started = time.monotonic()
        web = traffic.Http(f"http://127.0.0.1:{ports['lb']}", recorder)
        kiosk_key = KioskKey(shop.kiosk_key)

        def order_body(rng: random.Random) -> dict:
            return {
                "order_type": "takeaway",
                "customer_id": rng.choice(shop.customer_ids),
                "lines": [
                    {"product_id": pk, "qty": rng.randint(1, 3)}
                    for pk in rng.sample(shop.product_ids, 3)
                ],
            }

        def create(rng: random.Random) -> dict | None:
            headers = {**shop.auth, "Idempotency-Key": f"{run_id}-{uuid.uuid4().hex}"}
            status, order = web.call(
                CREATE, "POST", "/api/v1/orders", body=order_body(rng), headers=headers
            )
            if status != 201:
                return None
            books.add("numbers", order["number"])
            return order

        def cashier(seed: int):
            rng = random.Random(seed)

            def step() -> None:
                order = create(rng)
                if order is None:
                    return
                status, _paid = web.call(
                    CASH,
                    "POST",
                    f"/api/v1/orders/{order['id']}/pay-cash",
                    body={"amount_paid": order["rounded_amount"]},
                    headers=shop.auth,
                )
                if status == 200:
                    books.add("paid", order["number"])

            return step

        def snap_payer(seed: int):
            rng = random.Random(seed)

            def step() -> None:
                order = create(rng)
                if order is None:
                    return
                status, _ = web.call(
                    SNAP, "POST", f"/api/v1/orders/{order['id']}/create-payment", headers=shop.auth
                )
                if status == 201:
                    snap_numbers.append(order["number"])

            return step

        def kiosk(seed: int):
            rng = random.Random(seed)

            def step() -> None:
                external_id = rng.choice(shop.poll_ids)
                with kiosk_key.use() as key:
                    web.call(
                        POLL,
                        "GET",
                        f"/api/v1/photobox/transactions/external/{external_id}",
                        headers={"X-Kiosk-Key": key},
                    )

            return step

        def export(cookie: str) -> None:
            web.call(
                EXPORT,
                "GET",
                "/admin/orders/order/export.csv",
                headers={"Cookie": cookie, "Accept": "text/html"},
            )

        stop = threading.Event()
        traffic_started = time.monotonic()
        until = traffic_started + SECONDS
        out.write(
            f"Traffic for {SECONDS} s through HAProxy: {ORDER_RATE:g} cash orders/s, "
            f"{SNAP_RATE:g} Snap orders/s, {POLL_RATE:g} polls/s; two big exports; beat every "
            f"{BEAT_SECONDS} s\n"
        )
        threads = [
            *traffic.run_actors(
                [cashier(i) for i in range(3)], rate=ORDER_RATE, until=until, stop=stop
            ),
            *traffic.run_actors(
                [snap_payer(100 + i) for i in range(2)], rate=SNAP_RATE, until=until, stop=stop
            ),
            *traffic.run_actors(
                [kiosk(200 + i) for i in range(4)], rate=POLL_RATE, until=until, stop=stop
            ),
        ]
        exporters = [threading.Thread(target=export, args=(cookie,)) for cookie in cookies]
        for thread in exporters:
            thread.start()
        time.sleep(SECONDS / 2)
        rotation = rotate_and_probe(web, shop, ports, kiosk_key)
        out.write(
            f"  key rotated at {time.monotonic() - traffic_started:.0f} s; old key refused by "
            f"every instance after {rotation['refused after']:.1f} s\n"
        )
        for thread in [*threads, *exporters]:
            thread.join()
        out.write("  traffic over; waiting for webhooks, receipts and exports\n")
        gateway.settle()
        settled = wait_until_settled(folder, shop, books, snap_numbers)
        beat.stop()
        beat_seconds = time.monotonic() - beat_started
        time.sleep(2)  # the last tasks beat sent reach a worker
        logs = {service.name: service.text() for service in services.services}
        restarts = sum(service.restarts for service in services.services)
        webhook_answers = dict(gateway.notification_answers)
        webhook_retries, webhooks_given_up = (
            gateway.notification_retries,
            gateway.notifications_given_up,
        )
        snap_calls = gateway.snap_calls
    findings = check(
        shop=shop,
        recorder=recorder,
        books=books,
        snap_numbers=snap_numbers,
        receipts=settled["receipts"],
        run_started_at=run_started_at,
        logs=logs,
        beat_tasks=beat_tasks,
        beat_seconds=beat_seconds,
        rotation=rotation,
        webhook_answers=webhook_answers,
        **{"webhook retries": webhook_retries, "webhooks given up": webhooks_given_up},
        snap_calls=snap_calls,
        exports_expected=EXPORT_ROWS + len(books.numbers),
    )
    findings["counts"]["worker restarts"] = restarts
    section = summary(info, recorder, findings, time.monotonic() - started)
    out.write("\n" + section + "\n")
    if os.environ.get("BENCH_NO_DOCS") != "1":
        operations_section_write(START, END, section)
        out.write("Written to docs/operations.md\n")
    failed = [name for name in FINDINGS if findings[name]]
    if failed:
        raise SystemExit(f"Cluster soak failed: {', '.join(failed)} (logs in {folder})")


class KioskKey:
    """The kiosks' key: polls in flight finish before the owner rotates it, and the kiosks
    take the new key as soon as it is shown (a kiosk asking with the key it had a moment ago
    would be refused, rightly, and is not what this soak measures)."""

    def __init__(self, value: str):
        self.value = value
        self._users = 0
        self._rotating = False
        self._changed = threading.Condition()

    @contextmanager
    def use(self):
        with self._changed:
            self._changed.wait_for(lambda: not self._rotating)
            self._users += 1
            key = self.value
        try:
            yield key
        finally:
            with self._changed:
                self._users -= 1
                self._changed.notify_all()

    def swap(self, rotate) -> str | None:
        with self._changed:
            self._rotating = True
            self._changed.wait_for(lambda: self._users == 0)
        try:
            new = rotate()
            if new is not None:
                self.value = new
            return new
        finally:
            with self._changed:
                self._rotating = False
                self._changed.notify_all()


def rotate_and_probe(web: traffic.Http, shop, ports: dict, kiosk_key: KioskKey) -> dict:
    """Rotate the key through HAProxy, then ask every instance directly with the old key until
    each refuses it; the new key must open each at once."""
    recorder = traffic.Recorder(lambda: "probe")
    instances = {
        name: traffic.Http(f"http://127.0.0.1:{ports[name]}", recorder) for name in ("web1", "web2")
    }
    path = f"/api/v1/photobox/transactions/external/{shop.poll_ids[0]}"
    old = kiosk_key.value

    def rotate() -> str | None:
        status, body = web.call(
            "key rotation",
            "POST",
            f"/api/v1/photobox/locations/{shop.location_id}/rotate-key",
            headers=shop.auth,
        )
        return body["kiosk_key"] if status == 200 else None

    new = kiosk_key.swap(rotate)
    rotated_at = time.monotonic()
    if new is None:
        return {"error": "the rotation failed", "refused after": float("nan")}
    refused_after: dict[str, float] = {}
    prices_with_old: Counter = Counter()
    new_key_answers: Counter = Counter()
    for client in instances.values():
        for _ in range(8):
            status, _ = client.call("new key", "GET", path, headers={"X-Kiosk-Key": new})
            new_key_answers[status] += 1
            status, _ = client.call(
                "prices, old key",
                "GET",
                "/api/v1/photobox/kiosk/prices",
                headers={"X-Kiosk-Key": old},
            )
            prices_with_old[status] += 1
    deadline = rotated_at + POLL_LOCAL_SECONDS + 5
    while len(refused_after) < len(instances) and time.monotonic() < deadline:
        for name, client in instances.items():
            if name in refused_after:
                continue
            # Several asks: each instance has several processes, each with its own memory.
            answers = [
                client.call("old key", "GET", path, headers={"X-Kiosk-Key": old})[0]
                for _ in range(12)
            ]
            if all(status == 401 for status in answers):
                refused_after[name] = time.monotonic() - rotated_at
        time.sleep(0.25)
    return {
        "refused after": max(refused_after.values(), default=float("inf")),
        "per instance": refused_after,
        "prices with the old key": dict(prices_with_old),
        "new key": dict(new_key_answers),
    }


def wait_until_settled(folder, shop, books, snap_numbers) -> dict:
    from merchants.models import ExportJob, OutboxTask
    from orders.models import Order

    started = time.monotonic()
    while True:
        receipts = receipts_in(folder / "mail", brand=shop.name)
        paid = set(
            Order.objects.filter(merchant_id=shop.merchant_id, payment_status="paid")
            .exclude(number__startswith="OLD-")
            .values_list("number", flat=True)
        )
        expected = set(books.paid) | set(snap_numbers)
        jobs = ExportJob.objects.filter(merchant_id=shop.merchant_id)
        done = (
            expected <= paid
            and all(receipts.get(n) for n in paid)
            and not OutboxTask.objects.filter(sent_at__isnull=True).exists()
            and jobs.exists()
            and all(job.is_finished for job in jobs)
        )
        if done or time.monotonic() - started > SETTLE_SECONDS:
            return {"receipts": receipts, "seconds": time.monotonic() - started}
        time.sleep(1)


FINDINGS = (
    "errors",
    "lost or duplicated orders",
    "lost or duplicated payments",
    "receipts missing or twice",
    "beat not once per period",
    "rotated key",
    "exports",
    "web worker timeouts",
)
_LOG_TIME = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})")


def _beat_sends(text: str) -> dict[str, list[datetime]]:
    """Task name → the moments beat sent it, from its log: one JSON object a line (the product's
    logging), or Celery's own `[2026-12-03 13:11:40,123: INFO/MainProcess] …` lines."""
    sends: dict[str, list[datetime]] = defaultdict(list)
    for line in text.splitlines():
        match = re.search(r"Sending due task .* \(([\w.]+)\)", line)
        if not match:
            continue
        # Beat's own clock, only compared with itself.
        if line.startswith("{"):
            moment = datetime.fromisoformat(json.loads(line)["time"])
        elif stamp := _LOG_TIME.match(line):
            moment = datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M:%S,%f").replace(tzinfo=UTC)
        else:
            continue
        sends[match.group(1)].append(moment)
    return sends


def _worker_runs(logs: dict[str, str]) -> tuple[Counter, Counter]:
    """(task name → runs received, task id → times received) over both workers."""
    runs, ids = Counter(), Counter()
    for name, text in logs.items():
        if not name.startswith("worker"):
            continue
        for match in re.finditer(r"Task ([\w.]+)\[([0-9a-f-]+)\] received", text):
            runs[match.group(1)] += 1
            ids[match.group(2)] += 1
    return runs, ids


def _web_worker_timeouts(logs: dict[str, str]) -> list[str]:
    """Lines where gunicorn's arbiter killed a web worker that stayed silent past its timeout
    ("[CRITICAL] WORKER TIMEOUT (pid:…)", on stderr, which each instance's log holds). Every
    thread of that worker lost its request, whatever HAProxy made of it."""
    return [
        f"{name}: {line.strip()}"
        for name, text in sorted(logs.items())
        if name.startswith("web")
        for line in text.splitlines()
        if "WORKER TIMEOUT" in line
    ]


def check(**facts) -> dict:
    from merchants.models import ExportJob
    from orders.models import Order
    from payments.models import Payment

    shop, recorder, books = facts["shop"], facts["recorder"], facts["books"]
    errors = [
        f"{a.kind}: HTTP {a.status} {str(a.body)[:120]}"
        for a in recorder.answers
        if a.status != EXPECTED[a.kind]
    ]
    # A 404 before the payment row is committed is Midtrans' cue to retry; what counts is that
    # every notification ends in a 200, and that nothing else (5xx, refused) was ever answered.
    errors += [
        f"webhook answered {s} × {n}"
        for s, n in facts["webhook_answers"].items()
        if s not in (200, 404)
    ]
    if facts["webhooks given up"]:
        errors.append(f"{facts['webhooks given up']} webhooks never answered 200")

    orders = Order.objects.filter(merchant_id=shop.merchant_id).exclude(number__startswith="OLD-")
    stored = Counter(orders.values_list("number", flat=True))
    answered = Counter(books.numbers)
    lost_orders = [n for n in answered if n not in stored]
    lost_orders += [f"{n} answered {c} times" for n, c in answered.items() if c > 1]
    lost_orders += [f"{n} stored, never answered" for n in stored if n not in answered]

    by_number = dict(orders.values_list("number", "pk"))
    payments = Counter(
        Payment.objects.filter(
            merchant_id=shop.merchant_id, reference_kind="order", status="paid"
        ).values_list("reference_id", "method")
    )
    payment_problems = []
    for number, method in [(n, "snap") for n in facts["snap_numbers"]] + [
        (n, "cash") for n in books.paid
    ]:
        count = payments.get((str(by_number.get(number)), method), 0)
        if count != 1:
            payment_problems.append(f"{number}: {count} paid {method} payments")
    paid_orders = set(orders.filter(payment_status="paid").values_list("number", flat=True))
    receipts = facts["receipts"]
    receipt_problems = [
        f"{n}: {receipts.get(n, 0)} receipts" for n in paid_orders if receipts.get(n, 0) != 1
    ]

    sends = _beat_sends(facts["logs"].get("beat", ""))
    runs, ids = _worker_runs(facts["logs"])
    beat_problems, beat_rows = [], []
    for task in facts["beat_tasks"]:
        times = sorted(sends.get(task, []))
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
        expected = int(facts["beat_seconds"] // BEAT_SECONDS)
        bad_gaps = [g for g in gaps if not 0.5 * BEAT_SECONDS <= g <= 1.5 * BEAT_SECONDS]
        if abs(len(times) - expected) > 1 or bad_gaps:
            beat_problems.append(f"{task}: {len(times)} sends (about {expected}), gaps {bad_gaps}")
        if runs.get(task, 0) != len(times):
            beat_problems.append(f"{task}: sent {len(times)}, run {runs.get(task, 0)}")
        beat_rows.append(
            (task, len(times), runs.get(task, 0), min(gaps, default=0), max(gaps, default=0))
        )
    duplicates = [task_id for task_id, n in ids.items() if n > 1]
    if duplicates:
        beat_problems.append(f"{len(duplicates)} task ids received twice")

    rotation = facts["rotation"]
    rotation_problems = []
    if rotation.get("error"):
        rotation_problems.append(rotation["error"])
    elif not rotation["refused after"] <= POLL_LOCAL_SECONDS + 1:
        rotation_problems.append(f"old key still polled after {rotation['refused after']:.1f} s")
    if rotation.get("prices with the old key", {}).keys() - {401}:
        rotation_problems.append(f"old key read prices: {rotation['prices with the old key']}")
    if rotation.get("new key", {}).keys() - {200}:
        rotation_problems.append(f"new key answers {rotation['new key']}")

    jobs = list(ExportJob.objects.filter(merchant_id=shop.merchant_id))
    export_problems = []
    if len(jobs) != 2:
        export_problems.append(f"{len(jobs)} export jobs, 2 expected")
    for job in jobs:
        if job.status != "done" or job.row_count is None or job.row_count < EXPORT_ROWS:
            export_problems.append(f"job {job.pk}: {job.status}, {job.row_count} rows {job.error}")
    export_times = [
        (job.row_count, (job.finished_at - job.created_at).total_seconds())
        for job in jobs
        if job.finished_at
    ]
    return {
        "errors": errors,
        "lost or duplicated orders": lost_orders[:20],
        "lost or duplicated payments": payment_problems[:20],
        "receipts missing or twice": receipt_problems[:20],
        "beat not once per period": beat_problems,
        "rotated key": rotation_problems,
        "exports": export_problems,
        "web worker timeouts": _web_worker_timeouts(facts["logs"]),
        "beat rows": beat_rows,
        "rotation": rotation,
        "export times": export_times,
        "counts": {
            "orders answered 201": sum(answered.values()),
            "orders stored": sum(stored.values()),
            "paid in cash": len(books.paid),
            "paid with Snap (webhook)": len(facts["snap_numbers"]),
            "Snap tokens issued by the stand-in": facts["snap_calls"],
            "webhooks sent (duplicates and retries included)": sum(
                facts["webhook_answers"].values()
            ),
            "webhooks retried after a 404 (payment row not committed yet)": facts[
                "webhook retries"
            ],
            "receipts mailed": sum(receipts.get(n, 0) for n in paid_orders),
        },
    }


def summary(info: dict, recorder: traffic.Recorder, findings: dict, elapsed: float) -> str:
    conditions = os.environ.get("BENCH_CONDITIONS", "not stated")

    def verdict(name: str) -> str:
        return soak_verdict(findings[name])

    rows = []
    for (kind, _), figures in recorder.summary().items():
        statuses = ", ".join(
            f"{n} × {s or 'refused'}" for s, n in sorted(figures["statuses"].items())
        )
        rows.append(
            f"| {kind} | {figures['requests']} | {statuses} | "
            f"{figures['p50']:.0f} / {figures['p95']:.0f} / {figures['max']:.0f} |"
        )
    beat = [
        f"| `{task}` | {sent} | {run} | {low:.1f}–{high:.1f} s |"
        for task, sent, run, low, high in findings["beat rows"]
    ]
    rotation = findings["rotation"]
    per_instance = ", ".join(f"{k} {v:.1f} s" for k, v in rotation.get("per instance", {}).items())
    exports = "; ".join(
        f"{rows:,} rows in {seconds:.1f} s" for rows, seconds in findings["export times"]
    )
    counts = findings["counts"]
    return "\n".join(
        [
            f"### Cluster soak, {info['date']}",
            "",
            f"**Conditions:** {conditions}. {SECONDS} s through HAProxy "
            f"({ORDER_RATE:g} cash orders/s, {SNAP_RATE:g} Snap orders/s each settled by a "
            f"signed webhook, {POLL_RATE:g} kiosk polls/s, two owners exporting "
            f"{EXPORT_ROWS:,}+ orders at once at the start, the kiosk key rotated half-way); two "
            "gunicorn instances (gthread, 2 workers × 4 threads each), PgBouncer (transaction "
            "mode, 20 server connections) in front of PostgreSQL, one Redis, two Celery workers "
            f"(2 processes each), one beat with every period {BEAT_SECONDS} s; commit "
            f"{info['commit']}; {info['cpu']}, {info['cores']} cores; load average at start "
            f"{info['load average at start']}, at the end {common.load_average()}; "
            f"{elapsed:.0f} s in all.",
            "",
            "| requests | count | answers | latency p50 / p95 / max ms |",
            "|---|---|---|---|",
            *rows,
            "",
            "| beat task | sent by beat | run by a worker | gaps between sends |",
            "|---|---|---|---|",
            *beat,
            "",
            "| check | result |",
            "|---|---|",
            f"| errors (any answer not as expected, any webhook not 200) | {verdict('errors')} |",
            f"| lost or duplicated orders | {verdict('lost or duplicated orders')} |",
            f"| lost or duplicated payments | {verdict('lost or duplicated payments')} |",
            f"| receipts missing or mailed twice | {verdict('receipts missing or twice')} |",
            f"| beat tasks not sent once per period, or not run once | "
            f"{verdict('beat not once per period')} |",
            f"| rotated key: old key refused by every instance within {POLL_LOCAL_SECONDS} s "
            f"(poll), at once (package list); new key at once | {verdict('rotated key')} "
            f"(poll refused after {per_instance}) |",
            f"| two big exports at once, in the background | {verdict('exports')} ({exports}) |",
            f"| web workers killed for their timeout (`WORKER TIMEOUT` in web1's or web2's "
            f"log) | {verdict('web worker timeouts')} |",
            f"| counts | {', '.join(f'{k}: {v}' for k, v in counts.items())} |",
        ]
    )


if __name__ == "__main__":
    main()
