"""Big exports run in a Celery task: the admin shows progress, the requester downloads the file,
and the API answers 202 with a job to poll. Nobody else sees or downloads it."""

import csv
import io
from unittest import mock

import pytest
from django.urls import reverse

from merchants.exports import BOM
from merchants.models import ExportJob
from merchants.tests.exports import csv_rows
from orders.models import Order
from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db
EXPORT = "admin:orders_order_export"
JOBS = "/api/v1/export-jobs"


@pytest.fixture
def orders(merchant, other_merchant, settings):
    settings.EXPORT_SYNC_MAX_ROWS = 5
    settings.EXPORT_PROGRESS_EVERY = 4
    OrderFactory.create_batch(9, merchant=merchant)
    OrderFactory.create_batch(2, merchant=merchant, status=Order.Status.CANCELLED)
    OrderFactory.create_batch(3, merchant=other_merchant)


def file_rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith(BOM)
    return list(csv.DictReader(io.StringIO(text[len(BOM) :])))


def test_a_small_export_still_streams_at_once(owner_admin, merchant, settings):
    settings.EXPORT_SYNC_MAX_ROWS = 5
    OrderFactory.create_batch(5, merchant=merchant)
    assert len(csv_rows(owner_admin.get(reverse(EXPORT)))) == 5
    assert not ExportJob.objects.exists()


def test_a_big_export_becomes_a_job_and_the_request_reads_no_row(
    owner_admin, owner, merchant, orders, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(Order, "from_db", wraps=Order.from_db) as loaded,
        django_capture_on_commit_callbacks(execute=False) as queued,
    ):
        response = owner_admin.get(reverse(EXPORT), {"status__exact": "pending"})
    assert loaded.call_count == 0  # the web worker counted rows; it read none of them
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:merchants_exportjob_change", args=[job.pk])
    assert (job.requested_by, job.merchant, job.kind, job.status) == (
        owner,
        merchant,
        "orders.order",
        "pending",
    )
    assert job.filters == {"status__exact": "pending"}
    assert len(queued) == 1  # the task, queued when the job is committed

    page = owner_admin.get(response.url)
    assert b'http-equiv="refresh"' in page.content  # the page follows the progress
    for callback in queued:
        callback()  # the commit: eager Celery runs the task here
    job.refresh_from_db()
    assert (job.status, job.row_count, job.progress, job.percent) == ("done", 9, 9, 100)
    page = owner_admin.get(response.url)
    assert b"9 of 9 rows (100%)" in page.content
    assert b'http-equiv="refresh"' not in page.content
    download = owner_admin.get(reverse("admin:merchants_exportjob_download", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="orders-kopi-test-')
    rows = file_rows(download)
    assert len(rows) == 9
    assert {row["status"] for row in rows} == {"pending"}
    assert {row["merchant"] for row in rows} == {"kopi-test"}


def test_the_file_holds_what_the_streamed_export_holds(
    owner_admin, orders, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_SYNC_MAX_ROWS = 1000
    streamed = csv_rows(owner_admin.get(reverse(EXPORT)))
    settings.EXPORT_SYNC_MAX_ROWS = 5
    with django_capture_on_commit_callbacks(execute=True):
        owner_admin.get(reverse(EXPORT))
    job = ExportJob.objects.get()
    download = owner_admin.get(reverse("admin:merchants_exportjob_download", args=[job.pk]))
    assert file_rows(download) == streamed


def test_export_selected_over_the_limit_exports_just_those(
    owner_admin, merchant, orders, django_capture_on_commit_callbacks
):
    chosen = list(
        Order.objects.filter(merchant=merchant).order_by("pk").values_list("pk", flat=True)[:6]
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_admin.post(
            reverse("admin:orders_order_changelist"),
            {"action": "export_selected", "_selected_action": chosen},
        )
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert (job.selected_ids, job.row_count) == (chosen, 6)


def test_nobody_else_sees_or_downloads_the_file(
    client, owner_admin, orders, other_owner, operator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        owner_admin.get(reverse(EXPORT))
    job = ExportJob.objects.get()
    download = reverse("admin:merchants_exportjob_download", args=[job.pk])
    change = reverse("admin:merchants_exportjob_change", args=[job.pk])
    for user in (other_owner, operator):
        client.force_login(user)
        assert client.get(download).status_code == 404
    client.force_login(other_owner)
    assert client.get(change).status_code == 302  # not in their list: back to the index
    listing = client.get(reverse("admin:merchants_exportjob_changelist"))
    assert b"orders-kopi-test" not in listing.content
    client.force_login(operator)
    assert client.get(change).status_code == 200  # the operator sees its progress


def test_a_failed_export_says_so_without_details(
    owner_admin, orders, django_capture_on_commit_callbacks
):
    with (
        mock.patch("merchants.export_jobs.export_rows", side_effect=RuntimeError("db host x")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        owner_admin.get(reverse(EXPORT))
    job = ExportJob.objects.get()
    assert job.status == "failed"
    assert job.error == "The export failed (RuntimeError); try again or ask the operator."


def test_a_second_delivery_of_the_task_writes_nothing(
    owner_admin, orders, django_capture_on_commit_callbacks
):
    from merchants.tasks import export_job_run_task

    with django_capture_on_commit_callbacks(execute=True):
        owner_admin.get(reverse(EXPORT))
    job = ExportJob.objects.get()
    name = job.file_name
    assert export_job_run_task.delay(job.pk).get() == "done"
    job.refresh_from_db()
    assert job.file_name == name


def test_an_owner_who_lost_the_role_gets_nothing(
    owner_admin, owner, orders, django_capture_on_commit_callbacks
):
    from merchants.models import Membership

    with django_capture_on_commit_callbacks(execute=False) as queued:
        owner_admin.get(reverse(EXPORT))
    Membership.objects.filter(user=owner).update(role=Membership.Role.OFFICER)
    for callback in queued:
        callback()
    job = ExportJob.objects.get()
    assert (job.status, job.error) == ("failed", "You may no longer export this list.")


# --- the API ------------------------------------------------------------------------------


def test_the_api_answers_202_with_a_job_to_poll(
    owner_client, orders, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            JOBS, {"kind": "orders.order", "filters": {"status__exact": "cancelled"}}, format="json"
        )
    assert response.status_code == 202, response.content
    body = response.json()
    assert response["Location"] == body["url"]
    assert body["url"].endswith(f"{JOBS}/{body['id']}")
    polled = owner_client.get(body["url"]).json()
    assert (polled["status"], polled["row_count"], polled["percent"]) == ("done", 2, 100)
    download = owner_client.get(polled["download_url"])
    assert download.status_code == 200
    assert [row["status"] for row in file_rows(download)] == ["cancelled", "cancelled"]
    assert [job["id"] for job in owner_client.get(JOBS).json()["results"]] == [body["id"]]


def test_the_api_names_what_is_wrong(owner_client, orders):
    unknown = owner_client.post(JOBS, {"kind": "auth.user"}, format="json")
    assert unknown.status_code == 400
    assert "kind" in unknown.json()["error"]["details"]
    bad = owner_client.post(
        JOBS, {"kind": "orders.order", "filters": {"no_such_field": "1"}}, format="json"
    )
    assert bad.status_code == 400
    assert "filters" in bad.json()["error"]["details"]
    assert not ExportJob.objects.exists()


def test_a_job_not_ready_is_a_409_to_download(
    owner_client, orders, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        body = owner_client.post(JOBS, {"kind": "orders.order"}, format="json").json()
    assert body["status"] == "pending"
    assert body["download_url"] is None
    response = owner_client.get(f"{JOBS}/{body['id']}/download")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "export_not_ready"


def test_api_jobs_are_the_callers_own(
    owner_client, officer_client, orders, client_for, other_owner, merchant, owner
):
    from merchants.models import Membership
    from merchants.tests.factories import MembershipFactory

    job = ExportJob.objects.create(merchant=merchant, requested_by=owner, kind="orders.order")
    assert officer_client.get(f"{JOBS}/{job.pk}").status_code == 403
    assert officer_client.post(JOBS, {"kind": "orders.order"}, format="json").status_code == 403
    assert client_for(other_owner).get(f"{JOBS}/{job.pk}").status_code == 404
    second_owner = MembershipFactory(merchant=merchant, role=Membership.Role.OWNER).user
    assert client_for(second_owner).get(f"{JOBS}/{job.pk}").status_code == 404
    assert owner_client.get(f"{JOBS}/{job.pk}").status_code == 200


def test_an_api_job_holds_only_the_request_merchants_rows(
    client_for, owner, merchant, other_merchant, orders, django_capture_on_commit_callbacks
):
    from merchants.models import Membership
    from merchants.tests.factories import MembershipFactory

    MembershipFactory(user=owner, merchant=other_merchant, role=Membership.Role.OWNER)
    with django_capture_on_commit_callbacks(execute=True):
        body = (
            client_for(owner, other_merchant)
            .post(JOBS, {"kind": "orders.order"}, format="json")
            .json()
        )
    job = ExportJob.objects.get(pk=body["id"])
    assert (job.merchant, job.row_count) == (other_merchant, 3)


def test_deleting_a_job_deletes_its_file(owner_admin, orders, django_capture_on_commit_callbacks):
    from django.core.files.storage import storages

    with django_capture_on_commit_callbacks(execute=True):
        owner_admin.get(reverse(EXPORT))
    job = ExportJob.objects.get()
    assert storages["exports"].exists(job.file_name)
    with django_capture_on_commit_callbacks(execute=True):
        job.delete()
    assert not storages["exports"].exists(job.file_name)
