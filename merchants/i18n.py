"""Which language a person reads: the staff member's choice, else the browser's.

LocaleMiddleware (before this) picks the language from the language cookie or Accept-Language.
A signed-in staff member who chose a language in their profile gets it instead, on every page
and whatever the browser sends. Customers have no account: what is sent or shown to them is
written in their merchant's language (`merchant_language`, used with `translation.override`).
"""

from django.conf import settings
from django.core.cache import cache
from django.utils import translation

LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)


def _cache_key(user_id) -> str:
    return f"staff-language:{user_id}"


def staff_language(user) -> str:
    """The language `user` chose, or "" to follow the browser (also for anonymous users).

    Read through the cache, so pages whose query counts are asserted do not gain one."""
    if not getattr(user, "is_authenticated", False):
        return ""
    language = cache.get(_cache_key(user.pk))
    if language is None:
        from merchants.models import StaffProfile

        profile = StaffProfile.objects.filter(user=user).only("language").first()
        language = profile.language if profile else ""
        cache.set(_cache_key(user.pk), language, 3600)
    return language if language in LANGUAGE_CODES else ""


def staff_language_set(*, user, language: str) -> None:
    """Remember `user`'s language ("" = follow the browser)."""
    from merchants.models import StaffProfile

    if language and language not in LANGUAGE_CODES:
        raise ValueError(f"Unknown language {language!r}.")
    StaffProfile.objects.update_or_create(user=user, defaults={"language": language})
    cache.set(_cache_key(user.pk), language, 3600)


def merchant_language(merchant) -> str:
    """The language of what a merchant's customers read (emails, the gallery)."""
    language = getattr(merchant, "language", "") or settings.LANGUAGE_CODE
    return language if language in LANGUAGE_CODES else settings.LANGUAGE_CODE


class StaffLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = staff_language(getattr(request, "user", None))
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        # LocaleMiddleware, outside this one, names the active language in Content-Language.
        return self.get_response(request)
