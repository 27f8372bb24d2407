"""Streamed CSV exports of admin changelists, for any `MerchantScopedAdmin`.

    class OrderAdmin(CsvExportMixin, MerchantScopedAdmin):
        export_columns = [
            Column("number"),
            Column("customer email", "customer__email"),
            Column("total", "total_amount"),
            Column("items", lambda order: ...),
        ]

adds an *Export CSV* button to the changelist (the rows the list shows: its filters, search,
date drill-down and ordering; every page, not only the current one) and an *Export selected
to CSV* action, both for owners (`export_role`). Rows are read with `.iterator(chunk_size=…)`
and written as they come, so a year of orders never sits in memory.

Cells: money and other decimals as plain strings ("51750.00"), moments in the row's merchant's
time zone ("2026-03-10 23:30:00", the zone in a column of its own), booleans yes/no, text that a
spreadsheet would run as a formula (=, +, -, @) prefixed with an apostrophe. The file starts with
a UTF-8 byte order mark so Excel reads names like "Kopi Susu Gula Aren ☕" correctly; every other
tool skips it.
"""

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext, gettext_lazy

from merchants.models import Membership, Merchant
from merchants.money import money_str
from merchants.tenancy import merchant_of, roles_by_merchant

Role = Membership.Role
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_WRITE = 200


@dataclass(frozen=True)
class Column:
    """One CSV column: a header and how to read it from a row (a field path such as
    "customer__email", or a callable taking the row). No source: the header is the field."""

    header: str
    source: str | Callable[[Model], object] | None = None

    def read(self, obj: Model):
        source = self.source or self.header
        if callable(source):
            return source(obj)
        value = obj
        for part in source.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value


def csv_cell(value, tz) -> str:
    """What a spreadsheet should see for one value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        # Sums may come back as "6000": money always shows its cents ("6000.00").
        return money_str(value) if value.as_tuple().exponent > -2 else format(value, "f")
    if isinstance(value, datetime):
        return timezone.localtime(value, tz).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_lines(header: list[str], rows: Iterable[list[str]]) -> Iterator[str]:
    """The CSV text, a BOM and the header first, then a few hundred rows per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow(row)
        if count % ROWS_PER_WRITE == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_response(*, filename: str, header: list[str], rows: Iterable[list[str]]):
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


class CsvExportMixin:
    """Put before `MerchantScopedAdmin`; set `export_columns` (a list of `Column`)."""

    export_columns: list[Column] = []
    export_role: int = Role.OWNER
    export_select_related: tuple[str, ...] | None = None  # default: list_select_related
    export_prefetch_related: tuple[str, ...] = ()
    change_list_template = "admin/export_change_list.html"

    def get_urls(self):
        meta = self.model._meta
        export = path(
            "export.csv",
            self.admin_site.admin_view(self.export_view),
            name=f"{meta.app_label}_{meta.model_name}_export",
        )
        return [export, *super().get_urls()]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.has_export_permission(request):
            action = type(self).export_selected
            actions["export_selected"] = (action, "export_selected", action.short_description)
        return actions

    def has_export_permission(self, request) -> bool:
        return self._has_role(request, self.export_role)

    def changelist_view(self, request, extra_context=None):
        meta = self.model._meta
        context = {
            "has_export_permission": self.has_export_permission(request),
            "export_url": reverse(f"admin:{meta.app_label}_{meta.model_name}_export"),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)

    def export_view(self, request):
        """The changelist's rows as CSV: the same filters, search and ordering, every page.

        More than `EXPORT_SYNC_MAX_ROWS` rows: a background job writes the file instead, and
        the answer is its page in the admin (progress, then the download link)."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            meta = self.model._meta
            url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
            return HttpResponseRedirect(f"{url}?e=1")
        if changelist.result_count > settings.EXPORT_SYNC_MAX_ROWS:
            return self._export_in_background(request, changelist.result_count, request.GET)
        return self.export_csv(request, changelist.queryset)

    @admin.action(description=gettext_lazy("Export selected to CSV"))
    def export_selected(self, request, queryset):
        if not self.has_export_permission(request):
            raise PermissionDenied
        count = queryset.count()
        if count > settings.EXPORT_SYNC_MAX_ROWS:
            across = request.POST.get("select_across") == "1"
            selected = (
                None if across else [int(pk) for pk in request.POST.getlist("_selected_action")]
            )
            return self._export_in_background(request, count, request.GET, selected)
        return self.export_csv(request, queryset)

    def _export_in_background(self, request, count: int, filters, selected=None):
        from merchants.export_jobs import export_job_from_admin

        job = export_job_from_admin(request, self, filters, selected)
        messages.info(
            request,
            gettext(
                "%(count)s rows are more than a page can wait for: the file is being "
                "written. This page shows how far it is; its download link appears "
                "here when it is ready."
            )
            % {"count": count},
        )
        return HttpResponseRedirect(reverse("admin:merchants_exportjob_change", args=[job.pk]))

    def get_export_queryset(self, request, queryset: QuerySet) -> QuerySet:
        """Hook: annotate what the columns read (one query per chunk, never one per row)."""
        related = self.export_select_related
        if related is None:
            related = self.list_select_related or ()
        queryset = queryset.select_related(*related) if related else queryset
        if self.export_prefetch_related:
            queryset = queryset.prefetch_related(*self.export_prefetch_related)
        return queryset

    def export_filename(self, request, merchant: Merchant | None = None) -> str:
        roles = {} if request.user.is_superuser else roles_by_merchant(request.user)
        scope = "all"
        if merchant is not None:
            scope = merchant.slug
        elif len(roles) == 1:
            slugs = Merchant.objects.filter(pk__in=roles).values_list("slug", flat=True)
            scope = slugs.first() or scope
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return f"{slugify(self.model._meta.verbose_name_plural)}-{scope}-{stamp}.csv"

    def export_csv(self, request, queryset: QuerySet) -> StreamingHttpResponse:
        header, rows = export_rows(self, self.get_export_queryset(request, queryset))
        return csv_response(filename=self.export_filename(request), header=header, rows=rows)


def export_rows(model_admin: CsvExportMixin, queryset: QuerySet):
    """(header, rows) of an export: the admin's columns over `queryset` (already prepared by
    `get_export_queryset`), read in chunks, each cell as a spreadsheet should see it."""
    columns = list(model_admin.export_columns)

    def rows() -> Iterator[list[str]]:
        for obj in queryset.iterator(chunk_size=settings.EXPORT_CHUNK_SIZE):
            owner = merchant_of(obj)
            tz = owner.tzinfo if owner is not None else timezone.get_current_timezone()
            yield [csv_cell(column.read(obj), tz) for column in columns]

    return [column.header for column in columns], rows()
