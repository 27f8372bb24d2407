"""Which language a person reads: the staff member's choice, else the browser's.

LocaleMiddleware (before this) picks the language from the language cookie or Accept-Language.
A signed-in staff member who chose a language in their profile gets it instead, on every page
and whatever the browser sends. Customers have no account: what is sent or shown to them is
written in their merchant's language (`merchant_language`, used with `translation.override`).
"""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import translation

LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)


SESSION_KEY = "staff_language"


def staff_language_of(user) -> str:
    """The language `user` chose in their profile, or "" to follow the browser."""
    from merchants.models import StaffProfile

    language = StaffProfile.objects.filter(user=user).values_list("language", flat=True).first()
    return language if language in LANGUAGE_CODES else ""


def staff_language_set(*, request, language: str) -> None:
    """Remember the signed-in user's language ("" = follow the browser), in their profile and
    in this session."""
    from merchants.models import StaffProfile

    if language and language not in LANGUAGE_CODES:
        raise ValueError(f"Unknown language {language!r}.")
    StaffProfile.objects.update_or_create(user=request.user, defaults={"language": language})
    request.session[SESSION_KEY] = language


@receiver(user_logged_in, dispatch_uid="staff-language-on-login")
def _remember_language_on_login(sender, request, user, **kwargs):
    # Read once at sign-in and kept in the session, so no page pays a query for it.
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = staff_language_of(user)


def merchant_language(merchant) -> str:
    """The language of what a merchant's customers read (emails, the gallery)."""
    language = getattr(merchant, "language", "") or settings.LANGUAGE_CODE
    return language if language in LANGUAGE_CODES else settings.LANGUAGE_CODE


class StaffLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        language = session.get(SESSION_KEY, "") if session is not None else ""
        if language in LANGUAGE_CODES:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        # LocaleMiddleware, outside this one, names the active language in Content-Language.
        return self.get_response(request)
