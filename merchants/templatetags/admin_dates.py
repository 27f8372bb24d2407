"""`{% bounded_date_hierarchy cl %}`: the admin's date drill-down without reading every row.

Django's `{% date_hierarchy cl %}` lists the years that have rows, and within a year the months,
with a `SELECT DISTINCT` over every row of the changelist: on a year of orders the slowest query
of the page, growing with the table. This tag lists instead every year (and within a year every
month) from the first date to the last, which MIN and MAX read from the end of an index on the
date. A month without any row between them, say a shop closed for renovation, is listed too and
opens an empty list. Days, within one month, stay Django's exact list: one month of rows is cheap
to read and days without sales are common.

The links, titles and template (`admin/date_hierarchy.html`) are Django's, so the page looks and
filters the same. An admin opts in with one attribute, on a date indexed with the merchant:

    class PaymentAdmin(MerchantScopedAdmin):
        date_hierarchy = "created_at"
        bounded_date_hierarchy = True

and the project's `admin/change_list.html` (which every changelist extends) draws this tag in
its `date_hierarchy` block instead of Django's.
"""

import datetime

from django import template
from django.contrib.admin.templatetags.admin_list import date_hierarchy
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.contrib.admin.utils import get_fields_from_path
from django.db import models
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

register = template.Library()


def _bounds(cl) -> tuple:
    """The first and last date of the changelist's rows, local dates for a datetime field."""
    field_name = cl.date_hierarchy
    bounds = cl.queryset.aggregate(first=models.Min(field_name), last=models.Max(field_name))
    first, last = bounds["first"], bounds["last"]
    if isinstance(first, datetime.datetime) and timezone.is_aware(first):
        first, last = timezone.localtime(first), timezone.localtime(last)
    return first, last


def bounded_date_hierarchy(cl) -> dict | None:
    """Django's `date_hierarchy(cl)`, with years and months from the date bounds."""
    if not cl.date_hierarchy:
        return None
    field_name = cl.date_hierarchy
    year_field, month_field = f"{field_name}__year", f"{field_name}__month"
    day_field = f"{field_name}__day"
    year, month, day = (cl.params.get(name) for name in (year_field, month_field, day_field))
    if year and month and day:
        return date_hierarchy(cl)  # one day chosen: nothing to list, no query

    def link(filters):
        return cl.get_query_string(filters, [f"{field_name}__"])

    if year and month:
        return _days(cl, link, year, month)
    first, last = _bounds(cl)
    if not (year or month or day) and first is not None and first.year == last.year:
        # Django's starting level: the months of the only year, or the days of the only month.
        if first.month == last.month:
            return _days(cl, link, first.year, first.month)
        year = first.year
    if year:
        months = range(first.month, last.month + 1) if first is not None else []
        return {
            "show": True,
            "back": {"link": link({}), "title": _("All dates")},
            "choices": [
                {
                    "link": link({year_field: year, month_field: number}),
                    "title": capfirst(
                        formats.date_format(
                            datetime.date(int(year), number, 1), "YEAR_MONTH_FORMAT"
                        )
                    ),
                }
                for number in months
            ],
        }
    years = range(first.year, last.year + 1) if first is not None else []
    return {
        "show": True,
        "back": None,
        "choices": [
            {"link": link({year_field: str(number)}), "title": str(number)} for number in years
        ],
    }


def _days(cl, link, year, month) -> dict:
    """The days of one month that have rows, exactly as Django lists them: one month of rows
    is cheap to read, and days without a sale are common."""
    field_name = cl.date_hierarchy
    field = get_fields_from_path(cl.model, field_name)[-1]
    kind = "datetimes" if isinstance(field, models.DateTimeField) else "dates"
    year_field, month_field = f"{field_name}__year", f"{field_name}__month"
    return {
        "show": True,
        "back": {"link": link({year_field: year}), "title": str(year)},
        "choices": [
            {
                "link": link({year_field: year, month_field: month, f"{field_name}__day": d.day}),
                "title": capfirst(formats.date_format(d, "MONTH_DAY_FORMAT")),
            }
            for d in getattr(cl.queryset, kind)(field_name, "day")
        ],
    }


@register.tag(name="bounded_date_hierarchy")
def bounded_date_hierarchy_tag(parser, token):
    return InclusionAdminNode(
        parser,
        token,
        func=bounded_date_hierarchy,
        template_name="date_hierarchy.html",
        takes_context=False,
    )
