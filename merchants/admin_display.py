"""Small renderers the admin pages share: raw JSON as a readable list, money for people, and
marks that appear only when something is wrong."""

from django.utils import dateformat, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from merchants.money import format_money

EMPTY = "—"


def readable_json(value) -> SafeString | str:
    """A gateway's or a task's JSON as a key/value list: nested objects indented, lists
    numbered, every value escaped. Read-only by construction (no form field)."""
    if value in (None, "", {}, []):
        return EMPTY
    return _node(value)


def _node(value) -> SafeString:
    if isinstance(value, dict):
        rows = format_html_join(
            "", "<dt>{}</dt><dd>{}</dd>", ((key, _node(item)) for key, item in value.items())
        )
        return format_html('<dl class="kv">{}</dl>', rows)
    if isinstance(value, list):
        if not value:
            return mark_safe("[]")
        items = format_html_join("", "<li>{}</li>", ((_node(item),) for item in value))
        return format_html('<ol class="kv-list">{}</ol>', items)
    if value is None:
        return mark_safe("<i>null</i>")
    if isinstance(value, bool):
        return format_html("<code>{}</code>", "true" if value else "false")
    return format_html("{}", value)


def money(amount, currency: str) -> str:
    """An amount as people read it, in the active language (`Rp 46.000`, `IDR 46,000`)."""
    return EMPTY if amount is None else format_money(amount, currency)


def short_time(value, merchant) -> str:
    """A moment in a list, short and in the merchant's own time zone: `03 Dec 16:00`, the month
    in the reader's language (`03 Des 16:00`)."""
    if value is None:
        return ""
    return dateformat.format(timezone.localtime(value, merchant.tzinfo), "d M H:i")


def problem_mark(text) -> SafeString | str:
    """A warning shown only when there is a problem; nothing at all when all is well."""
    return format_html('<span class="problem-mark">⚠ {}</span>', text) if text else ""


AMOUNT_MISMATCH = _("amount differs from the gateway's")
