"""Tasks queued after commit survive a broker outage: stored in the outbox, sent by the sweep."""

import logging
from datetime import timedelta

import pytest
from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from merchants.models import OutboxTask
from merchants.outbox import outbox_send_pending, task_queue_on_commit
from merchants.tasks import outbox_send_pending_task

pytestmark = pytest.mark.django_db
RAN: list[tuple] = []


@shared_task(name="merchants.tests.record")
def record_task(*args, **kwargs):
    RAN.append((args, kwargs))


@pytest.fixture(autouse=True)
def _fresh_record():
    RAN.clear()
    yield
    RAN.clear()


def queue_in_transaction(*args, **kwargs) -> None:
    with transaction.atomic():
        task_queue_on_commit(record_task, *args, **kwargs)


def test_with_the_broker_up_the_task_is_published_after_commit(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queue_in_transaction(7, kwargs={"why": "paid"})
    assert RAN == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert RAN == [((7,), {"why": "paid"})]
    assert not OutboxTask.objects.exists()


def test_a_rolled_back_write_queues_nothing_even_in_the_outbox(
    broker_down, django_capture_on_commit_callbacks
):
    def queue_then_fail():
        with transaction.atomic():
            task_queue_on_commit(record_task, 1)
            raise KeyError("a later step failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(KeyError):
        queue_then_fail()
    assert callbacks == []
    assert broker_down.calls == 0
    assert not OutboxTask.objects.exists()


def test_broker_down_the_task_is_kept_and_nothing_raises(
    broker_down, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True):
        queue_in_transaction(7, kwargs={"why": "paid"})
    row = OutboxTask.objects.get()
    assert (row.task_name, row.args, row.kwargs) == ("merchants.tests.record", [7], {"why": "paid"})
    assert row.sent_at is None
    assert "OperationalError" in row.last_error
    assert "kept in the outbox" in caplog.text
    assert RAN == []


def test_after_one_failure_the_process_stops_waiting_on_the_broker(
    broker_down, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True), caplog.at_level(logging.WARNING):
        for number in range(5):
            queue_in_transaction(number)
    assert broker_down.calls == 1  # one publish tried; the next four went straight to the outbox
    assert list(OutboxTask.objects.order_by("pk").values_list("args", flat=True)) == [
        [0],
        [1],
        [2],
        [3],
        [4],
    ]
    assert caplog.text.count("kept in the outbox") == 1  # one warning, not one per task


def test_the_sweep_sends_pending_rows_once_the_broker_is_back(
    broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        queue_in_transaction(1)
        queue_in_transaction(2)
    failed = outbox_send_pending()
    assert failed == {"sent": 0, "failed": 1, "pruned": 0}  # still down: stops at the first
    assert sorted(OutboxTask.objects.values_list("attempts", flat=True)) == [0, 1]

    broker_down.restore()
    assert outbox_send_pending_task.delay().get() == {"sent": 2, "failed": 0, "pruned": 0}
    assert RAN == [((1,), {}), ((2,), {})]  # oldest first
    assert not OutboxTask.objects.filter(sent_at__isnull=True).exists()
    assert outbox_send_pending() == {"sent": 0, "failed": 0, "pruned": 0}  # each goes once
    assert len(RAN) == 2


def test_sent_rows_are_pruned_after_the_kept_days(settings):
    old = OutboxTask.objects.create(task_name="merchants.tests.record")
    OutboxTask.objects.filter(pk=old.pk).update(
        sent_at=timezone.now() - timedelta(days=settings.OUTBOX_KEEP_SENT_DAYS, seconds=1)
    )
    recent = OutboxTask.objects.create(task_name="merchants.tests.record", sent_at=timezone.now())
    assert outbox_send_pending()["pruned"] == 1
    assert list(OutboxTask.objects.values_list("pk", flat=True)) == [recent.pk]


def test_an_unknown_task_name_stays_pending_with_its_error():
    OutboxTask.objects.create(task_name="gone.in.this.release")
    assert outbox_send_pending()["failed"] == 1
    row = OutboxTask.objects.get()
    assert (row.sent_at, row.attempts) == (None, 1)
    assert "NotRegistered" in row.last_error


def test_health_reports_pending_rows(client):
    OutboxTask.objects.create(task_name="merchants.tests.record", sent_at=timezone.now())
    pending = OutboxTask.objects.create(task_name="merchants.tests.record")
    OutboxTask.objects.filter(pk=pending.pk).update(
        created_at=timezone.now() - timedelta(seconds=90)
    )
    body = client.get("/health/").json()
    assert body["outbox"]["pending"] == 1
    assert 90 <= body["outbox"]["oldest_pending_seconds"] < 120
    assert body["status"] == "ok"  # rows waiting do not make the instance unhealthy


def test_the_sweep_is_on_the_beat_schedule():
    entry = settings.BEAT_SCHEDULE_DEFAULTS["merchants: send tasks kept in the outbox"]
    assert entry["task"] == outbox_send_pending_task.name
    assert entry["every_seconds"] == 30


def test_only_the_operator_sees_the_outbox(client, operator, owner):
    OutboxTask.objects.create(task_name="orders.send_receipt", args=[12])
    url = reverse("admin:merchants_outboxtask_changelist")
    client.force_login(owner)
    assert client.get(url).status_code == 403
    client.force_login(operator)
    page = client.get(url)
    assert page.status_code == 200
    assert b"orders.send_receipt" in page.content
    row = OutboxTask.objects.get()
    assert client.get(reverse("admin:merchants_outboxtask_change", args=[row.pk])).status_code == (
        200
    )
