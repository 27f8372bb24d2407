"""The kiosk poll's own WSGI handler: the product's middleware without what serves browsers.

Every kiosk polls every few seconds, so the poll is the product's hottest request, and most of
the middleware does nothing for it: a kiosk has no session cookie, no staff login and no admin
messages, the poll is a CSRF-exempt GET, and it is not a static file. Building and unwinding
those layers was about a fifth of what the poll cost above Django's own cycle
(docs/benchmarks.md). `with_kiosk_poll` therefore sends the poll's path to a handler whose
chain is `settings.MIDDLEWARE` less `SKIPPED_MIDDLEWARE`: every other layer (security headers
and HTTPS redirect, CORS, common, frame options, and any added later) still runs, in the same
order, so the poll's answers carry the same headers as before. Everything else goes to the
product's handler.
"""

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

POLL_PATH_PREFIX = "/api/v1/photobox/transactions/external/"
SKIPPED_MIDDLEWARE = frozenset(
    {
        "whitenoise.middleware.WhiteNoiseMiddleware",  # static files only
        "django.contrib.sessions.middleware.SessionMiddleware",  # a kiosk has no session
        "django.middleware.csrf.CsrfViewMiddleware",  # the poll is a CSRF-exempt GET
        "django.contrib.auth.middleware.AuthenticationMiddleware",  # the key is checked instead
        "django.contrib.messages.middleware.MessageMiddleware",  # messages are the admin's
    }
)


def poll_middleware() -> list[str]:
    return [name for name in settings.MIDDLEWARE if name not in SKIPPED_MIDDLEWARE]


class KioskPollHandler(WSGIHandler):
    """Django's WSGI handler with the poll's middleware chain (see the module docstring)."""

    def load_middleware(self, is_async=False):
        # Django builds the chain from settings.MIDDLEWARE; this runs once, when the handler is
        # made at start-up, before any request is served.
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = poll_middleware()
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


def with_kiosk_poll(application):
    """`application`, with the kiosk poll's path served by a `KioskPollHandler`."""
    poll = KioskPollHandler()

    def dispatch(environ, start_response):
        if environ.get("PATH_INFO", "").startswith(POLL_PATH_PREFIX):
            return poll(environ, start_response)
        return application(environ, start_response)

    return dispatch
