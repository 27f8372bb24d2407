"""The soak's bookkeeping (`bench.soak.check`) catches what it claims to: lost orders, orders
nobody was told of, and stock that does not add up."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bench import soak
from catalog.models import Product
from catalog.tests.factories import ProductFactory
from merchants.actors import SYSTEM
from merchants.tests.factories import MerchantFactory
from orders.models import Order
from orders.services import LineInput, order_cancel, order_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def run():
    """Three orders placed "during the soak" on a tracked product, and what wrk reported."""
    merchant = MerchantFactory()
    product = ProductFactory(merchant=merchant, track_stock=True, stock=50)
    before = {product.pk: 50}
    first = (Order.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    orders = [
        order_create(
            merchant=merchant, lines=[LineInput(product_id=product.pk, quantity=2)], actor=SYSTEM
        )
        for _ in range(3)
    ]
    order_cancel(order=orders[0], actor=SYSTEM)  # its units go back: not sold
    report = {
        "statuses": {"201": 3},
        "socket_errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0},
        "numbers": [order.number for order in orders],
    }
    return {
        "merchant_id": merchant.pk,
        "first_order_id": first,
        "before": before,
        "report": report,
        "stopped_at": timezone.now(),
        "product": product,
    }


def problems(findings):
    return {name: items for name, items in findings.items() if name != "counts" and items}


def test_a_clean_run_passes(run):
    product = run.pop("product")
    findings = soak.check(**run)
    assert problems(findings) == {}
    assert findings["counts"]["units reserved"] == 4
    assert Product.objects.get(pk=product.pk).stock == 46


def test_an_error_answer_fails(run):
    run.pop("product")
    run["report"]["statuses"]["500"] = 1
    assert problems(soak.check(**run)) == {"errors": ["1 × HTTP 500"]}


def test_an_answered_order_missing_from_the_database_is_lost(run):
    run.pop("product")
    run["report"]["numbers"].append("INV-20000101-9999")
    assert problems(soak.check(**run)) == {"lost": ["INV-20000101-9999"]}


def test_an_order_nobody_was_told_of_is_reported(run):
    run.pop("product")
    unreported = run["report"]["numbers"].pop()
    # Within wrk's timeout of the stop it was in flight; long before, it is a finding.
    assert problems(soak.check(**run)) == {}
    Order.objects.filter(number=unreported).update(created_at=timezone.now() - timedelta(minutes=5))
    assert problems(soak.check(**run)) == {"never answered": [unreported]}


def test_stock_that_does_not_add_up_is_oversold(run):
    product = run.pop("product")
    Product.objects.filter(pk=product.pk).update(stock=45)  # one unit gone without an order
    found = problems(soak.check(**run))
    assert found == {"oversold": [f"product {product.pk}: 45 in stock, 46 expected"]}


def poll_report(**statuses):
    return {
        "statuses": {str(status): n for status, n in statuses.items()},
        "socket_errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0},
    }


def test_a_poll_stream_of_200s_passes():
    assert soak.stream_errors(poll_report(**{"200": 500}), expected=200, name=soak.POLL) == []


def test_a_poll_answered_otherwise_is_an_error():
    # A 401 (the key stopped working) or a 404 (a session lost) is as much a failure as a 500.
    report = poll_report(**{"200": 480, "401": 15, "404": 5})
    assert soak.stream_errors(report, expected=200, name=soak.POLL) == [
        "kiosk poll: 15 × HTTP 401",
        "kiosk poll: 5 × HTTP 404",
    ]


def test_a_poll_socket_error_is_an_error():
    report = poll_report(**{"200": 500})
    report["socket_errors"]["timeout"] = 2
    assert soak.stream_errors(report, expected=200, name=soak.POLL) == [
        "kiosk poll: 2 × socket timeout"
    ]


def test_an_order_answered_200_instead_of_201_is_an_error(run):
    # A replayed idempotency key answers 200 with the stored order: the soak never sends one.
    run.pop("product")
    run["report"]["statuses"] = {"201": 2, "200": 1}
    assert problems(soak.check(**run))["errors"] == ["1 × HTTP 200"]


def test_the_cluster_soak_fails_on_a_web_worker_timeout():
    """gunicorn killing a silent web worker (a blocked export) cuts every request it held."""
    from bench import cluster

    logs = {
        "web1": "[2026-12-03 13:11:02 +0000] [41] [INFO] Booting worker with pid: 44\n",
        "web2": "[2026-12-03 13:11:40 +0000] [52] [CRITICAL] WORKER TIMEOUT (pid:57)\n",
        "worker1": "WORKER TIMEOUT is only gunicorn's: a Celery log never counts\n",
    }
    assert cluster._web_worker_timeouts(logs) == [
        "web2: [2026-12-03 13:11:40 +0000] [52] [CRITICAL] WORKER TIMEOUT (pid:57)"
    ]
    assert cluster._web_worker_timeouts({**logs, "web2": ""}) == []
    assert "web worker timeouts" in cluster.FINDINGS  # a finding fails the run


@pytest.mark.parametrize("language", ["en", "id"])
def test_receipts_are_counted_in_the_shops_language(tmp_path, settings, language):
    """The soaks count receipts by their subject, which is in the shop's language: counted in
    English only, an Indonesian shop's receipts all read as missing."""
    from django.core import mail
    from django.template.loader import render_to_string
    from django.utils import translation

    from bench.soak_data import receipts_in

    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    sent = [("Soak 1234", "INV-20261204-0001"), ("Another Soak 1234", "INV-20261204-0002")]
    for brand, number in sent:
        with translation.override(language):
            subject = render_to_string(
                "emails/order_receipt.subject.txt", {"number": number, "brand_name": brand}
            ).strip()
        mail.EmailMessage(subject, "body", to=["buyer@example.com"]).send()
    assert receipts_in(tmp_path, brand="Soak 1234") == {"INV-20261204-0001": 1}


def test_the_cluster_soak_reads_beats_sends_from_json_and_celery_lines():
    """Beat logs one JSON object a line through the product's logging: read as Celery's own
    format only, every send went missing and the soak failed with every task run."""
    from bench import cluster

    text = "\n".join(
        [
            '{"time": "2026-12-04T04:55:25.818+00:00", "level": "INFO", "logger": "celery.beat", '
            '"message": "Scheduler: Sending due task orders: prune '
            '(orders.prune_idempotency_keys)"}',
            "[2026-12-04 04:55:35,820: INFO/MainProcess] Scheduler: Sending due task orders: "
            "prune (orders.prune_idempotency_keys)",
            '{"time": "2026-12-04T04:55:36.000+00:00", "message": "beat: Starting..."}',
        ]
    )
    sends = cluster._beat_sends(text)
    assert list(sends) == ["orders.prune_idempotency_keys"]
    first, second = sends["orders.prune_idempotency_keys"]
    assert (second - first).total_seconds() == pytest.approx(10.002)
