"""Content-Security-Policy, shaped as Django 6.0 ships it, so moving there is a rename.

`settings.SECURE_CSP` maps directives to sources; `CSP.NONCE` stands for this response's nonce,
which templates put on their inline scripts as `nonce="{{ csp_nonce }}"` (the `csp` context
processor). The nonce goes into the header only when a template used it. A view whose page needs
more (a payment provider's script) extends the policy with `@csp_extend({...})`.
`SECURE_CSP_REPORT_ONLY`, a policy of the same shape, is sent as
Content-Security-Policy-Report-Only, to try a policy without enforcing it.
"""

import secrets
from collections.abc import Callable
from functools import wraps

from django.conf import settings


class CSP:
    SELF = "'self'"
    NONE = "'none'"
    UNSAFE_INLINE = "'unsafe-inline'"
    UNSAFE_HASHES = "'unsafe-hashes'"
    NONCE = "<CSP_NONCE_SENTINEL>"


class _Nonce:
    """Made on first use, so pages without inline scripts send no nonce."""

    def __init__(self):
        self.value: str | None = None

    def __str__(self) -> str:
        if self.value is None:
            self.value = secrets.token_urlsafe(18)
        return self.value


def policy_header(config: dict, nonce: str | None) -> str:
    parts = []
    for directive, sources in config.items():
        if sources is True:  # a directive without sources, e.g. upgrade-insecure-requests
            parts.append(directive)
            continue
        values = []
        for source in sources:
            if source == CSP.NONCE:
                if nonce:
                    values.append(f"'nonce-{nonce}'")
            elif source not in values:
                values.append(source)
        parts.append(" ".join([directive, *values]))
    return "; ".join(parts)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable):
        self.get_response = get_response

    def __call__(self, request):
        nonce = _Nonce()
        request.csp_nonce = nonce
        response = self.get_response(request)
        for header, name in (
            ("Content-Security-Policy", "SECURE_CSP"),
            ("Content-Security-Policy-Report-Only", "SECURE_CSP_REPORT_ONLY"),
        ):
            config = getattr(settings, name, None)
            if config and header not in response:
                response[header] = policy_header(_extended(config, response), nonce.value)
        return response


def _extended(config: dict, response) -> dict:
    """The policy with this page's own additions (`csp_extend`) appended."""
    config = {directive: list(sources) for directive, sources in config.items()}
    for directive, sources in getattr(response, "csp_extend", {}).items():
        config[directive] = [*config.get(directive, config.get("default-src", [])), *sources]
    return config


def csp_extend(sources: dict[str, list[str]]):
    """View decorator: add `sources` to directives of the site's policy for this page only."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            response.csp_extend = sources
            return response

        return wrapped

    return decorator


def context_processor(request) -> dict:
    """`{{ csp_nonce }}` for inline scripts, as Django 6's `csp` context processor does."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
