"""CSV exports too big to stream while the browser waits, written by a Celery worker.

An admin export (or `export selected`) of more than `EXPORT_SYNC_MAX_ROWS` rows, and every
export asked through the API (`POST /api/v1/export-jobs`), becomes an `ExportJob`: the list's
filters, search and ordering are stored, and `export_job_run_task` rebuilds the very same
queryset in a worker, as the person who asked (their roles as they are when it runs), writes
the file with the admin's columns and cells, saves it to the `exports` storage, and counts its
rows as it goes so the admin shows the progress. Only the person who asked downloads it, through
a view that checks who asks, never through a public media URL.

A web worker then spends on a big export what it spends on a small page: the rows are read and
written by the Celery worker, so two big exports at once no longer hold two web workers until
their timeout.
"""

import csv
import io
import logging
import secrets
import tempfile
from dataclasses import dataclass

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction
from django.http import QueryDict
from django.test import RequestFactory
from django.utils import timezone
from django.utils.translation import gettext

from merchants.errors import DomainError
from merchants.exports import BOM, CsvExportMixin, export_rows
from merchants.models import ExportJob, Merchant
from merchants.outbox import task_queue_on_commit
from merchants.tenancy import merchant_filter

logger = logging.getLogger(__name__)
Status = ExportJob.Status


@dataclass(frozen=True)
class Exportable:
    kind: str  # the model's label, "orders.order"
    model_admin: object  # a registered `CsvExportMixin` admin


def exportables() -> dict[str, Exportable]:
    """Every admin list that exports CSV, by model label (the `kind` of a job)."""
    return {
        model._meta.label_lower: Exportable(model._meta.label_lower, model_admin)
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, CsvExportMixin)
    }


def _exportable(kind: str) -> Exportable:
    found = exportables().get(kind)
    if found is None:
        raise DomainError(
            gettext("'%(kind)s' cannot be exported; choose one of %(join)s.")
            % {"kind": kind, "join": ", ".join(sorted(exportables()))},
            details={"kind": gettext("unknown")},
        )
    return found


def _request_as(user, filters: dict):
    """A GET to the admin list as `user` would send it: the same filters, search and ordering."""
    query = QueryDict(mutable=True)
    for key, value in (filters or {}).items():
        query.setlist(key, value if isinstance(value, list) else [value])
    request = RequestFactory().get("/admin/export/", query)
    request.user = user
    return request


def _filters_of(query: QueryDict) -> dict:
    """A QueryDict as JSON: one value as it is, repeated keys as a list."""
    return {key: values[0] if len(values) == 1 else values for key, values in query.lists()}


def export_queryset(job: ExportJob):
    """The rows of `job`, as the admin list shows them to its requester now (their roles,
    the job's filters), narrowed to the job's merchant and selection."""
    exportable = _exportable(job.kind)
    model_admin = exportable.model_admin
    request = _request_as(job.requested_by, job.filters)
    if not model_admin.has_export_permission(request):
        raise DomainError(gettext("You may no longer export this list."), code="permission_denied")
    queryset = model_admin.get_changelist_instance(request).queryset
    if job.merchant_id is not None:
        queryset = queryset.filter(**merchant_filter(queryset.model, job.merchant))
    if job.selected_ids is not None:
        queryset = queryset.filter(pk__in=job.selected_ids)
    return model_admin, model_admin.get_export_queryset(request, queryset)


def export_job_create(
    *,
    user,
    kind: str,
    filters: dict,
    merchant: Merchant | None = None,
    selected_ids: list | None = None,
) -> ExportJob:
    """Check the export can be made (the filters are valid, the user may export that list),
    then store the job and queue its task after commit."""
    exportable = _exportable(kind)
    request = _request_as(user, filters)
    if not exportable.model_admin.has_export_permission(request):
        raise DomainError(gettext("Only owners export this list."), code="permission_denied")
    try:
        exportable.model_admin.get_changelist_instance(request)
    except IncorrectLookupParameters:
        raise DomainError(
            gettext(
                "These filters do not fit that list; open the list in the admin, filter it, and "
                "copy the filters from its address."
            ),
            details={"filters": gettext("invalid")},
        ) from None
    model = exportable.model_admin.model
    with transaction.atomic():
        job = ExportJob.objects.create(
            merchant=merchant,
            requested_by=user,
            kind=kind,
            filters=filters,
            selected_ids=selected_ids,
            filename=exportable.model_admin.export_filename(request, merchant=merchant),
        )
        from merchants.tasks import export_job_run_task

        task_queue_on_commit(export_job_run_task, job.pk)
    logger.info("Export job %s of %s queued for user %s", job.pk, model._meta.label, user.pk)
    return job


def export_job_from_admin(request, model_admin, queryset_filters: QueryDict, selected=None):
    """The admin's side: a job for the list the user is looking at (or the rows they chose)."""
    from merchants.tenancy import roles_by_merchant

    roles = {} if request.user.is_superuser else roles_by_merchant(request.user)
    merchant = None
    if len(roles) == 1:
        merchant = Merchant.objects.filter(pk__in=roles).first()
    filters = _filters_of(queryset_filters)
    return export_job_create(
        user=request.user,
        kind=model_admin.model._meta.label_lower,
        filters=filters,
        merchant=merchant,
        selected_ids=selected,
    )


def _claim(job_id: int) -> bool:
    """PENDING → RUNNING once: a task delivered twice writes the file once."""
    return bool(
        ExportJob.objects.filter(pk=job_id, status=Status.PENDING).update(
            status=Status.RUNNING, started_at=timezone.now(), updated_at=timezone.now()
        )
    )


def _finish(job_id: int, **fields) -> None:
    ExportJob.objects.filter(pk=job_id, status=Status.RUNNING).update(
        finished_at=timezone.now(), updated_at=timezone.now(), **fields
    )


def export_job_run(*, job_id: int) -> str:
    """Write the job's file (the worker's side). Returns the job's final status."""
    if not _claim(job_id):
        return ExportJob.objects.filter(pk=job_id).values_list("status", flat=True).first() or ""
    job = ExportJob.objects.select_related("requested_by", "merchant").get(pk=job_id)
    try:
        name, rows = _write(job)
    except DomainError as error:
        _finish(job_id, status=Status.FAILED, error=error.message)
        return Status.FAILED
    except Exception as error:
        logger.exception("Export job %s failed", job_id)
        _finish(
            job_id,
            status=Status.FAILED,
            error=f"The export failed ({type(error).__name__}); try again or ask the operator.",
        )
        return Status.FAILED
    _finish(job_id, status=Status.DONE, file_name=name, progress=rows)
    return Status.DONE


def _write(job: ExportJob) -> tuple[str, int]:
    model_admin, queryset = export_queryset(job)
    total = queryset.count()
    ExportJob.objects.filter(pk=job.pk).update(row_count=total)
    every = max(settings.EXPORT_PROGRESS_EVERY, 1)
    written = 0
    with tempfile.TemporaryFile(mode="w+b") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        header, rows = export_rows(model_admin, queryset)
        text.write(BOM)
        writer = csv.writer(text)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            written += 1
            if written % every == 0:
                ExportJob.objects.filter(pk=job.pk).update(progress=written)
        text.flush()
        text.detach()  # the file stays open for the storage to read
        raw.seek(0)
        folder = f"exports/{job.pk}-{secrets.token_urlsafe(16)}"
        name = storages["exports"].save(f"{folder}/{job.filename}", File(raw, name=job.filename))
    return name, written


def export_job_open(job: ExportJob, user):
    """The file of a finished job, for the user who asked for it only (anyone else: None)."""
    if job.requested_by_id != user.pk or job.status != Status.DONE or not job.file_name:
        return None
    return storages["exports"].open(job.file_name, "rb")
