"""One helper to send a branded email from templates, for every app (login, receipts, gallery).

`send_templated_email(to=..., template="customer_otp", context={...}, merchant=m)` renders
`templates/emails/customer_otp.subject.txt`, `.txt` and `.html` and sends one multipart message
(text with an HTML alternative). HTML templates extend `emails/base.html`, which shows the
merchant's name; the sender's display name is the merchant's name too. Call it from a Celery task,
never inside a request: SMTP is slow and fails now and then.
"""

from collections.abc import Iterable
from email.utils import formataddr, parseaddr
from smtplib import SMTPException

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation

from merchants.models import Merchant

# Options of every email task: SMTP hiccups are retried with growing, jittered waits for about
# half an hour; the task is acknowledged only once it ran, so a worker lost mid-send hands it on
# (each task's own guard makes a second delivery send nothing).
EMAIL_TASK_OPTIONS = {
    "autoretry_for": (SMTPException, OSError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 6,
    "acks_late": True,
}


def _from_address(merchant: Merchant | None) -> str:
    if merchant is None:
        return settings.DEFAULT_FROM_EMAIL
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((merchant.name, address))


def send_templated_email(
    *,
    to: str | Iterable[str],
    template: str,
    context: dict,
    merchant: Merchant | None = None,
    language: str | None = None,
) -> None:
    """Render `emails/<template>.{subject.txt,txt,html}` and send them as one message.

    Dates and times in the templates show in the merchant's time zone (the server's without a
    merchant), whatever process renders them; the text is in `language`, by default the
    merchant's (`Merchant.language`: customers have no account to choose one). Context values
    that depend on the language (choice labels, amounts) are computed by the caller inside
    `translation.override(merchant_language(merchant))`. SMTP errors propagate
    (smtplib.SMTPException, OSError) so a Celery task can retry them.
    """
    recipients = [to] if isinstance(to, str) else list(to)
    context = {
        "merchant": merchant,
        "brand_name": merchant.name if merchant else "POS Back-office",
        **context,
    }
    from merchants.i18n import merchant_language

    language = language or (merchant_language(merchant) if merchant else settings.LANGUAGE_CODE)
    with timezone.override(merchant.tzinfo if merchant else None), translation.override(language):
        # Subjects are one line whatever the template's whitespace.
        subject = " ".join(render_to_string(f"emails/{template}.subject.txt", context).split())
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=_from_address(merchant), to=recipients
    )
    message.attach_alternative(html, "text/html")
    message.send()
