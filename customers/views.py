"""HTML pages: the magic-link confirm page and the customer sign-in demo page."""

from urllib.parse import quote

from django.conf import settings
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from customers import services
from customers.auth import customer_token_issue
from merchants.demo import demo_merchant, require_demo_pages
from merchants.errors import DomainError
from merchants.models import Merchant
from merchants.secret_links import private_page


@never_cache
@require_http_methods(["GET", "POST"])
def magic_link_confirm(request, token: str):
    """GET shows a "Sign in" button and changes nothing, so mail scanners that fetch links do
    not burn them; the POST from that button consumes the link and hands the customer JWT to
    `{APP_URL}/auth/callback#token=...` (a fragment, so it never reaches a server log)."""
    if request.method == "POST":
        try:
            result = services.login_link_verify(token=token)
        except DomainError as error:
            page = render(
                request, "customers/magic_link_confirm.html", {"error": error.message}, status=400
            )
            return private_page(page)
        issued = customer_token_issue(customer=result.customer)
        target = f"{settings.APP_URL}/auth/callback#token={quote(issued.token, safe='')}"
        return private_page(HttpResponseRedirect(target, status=303))

    challenge = services.login_link_preview(token=token)
    context = {"challenge": challenge, "merchant": challenge.merchant if challenge else None}
    if challenge is None:
        context["error"] = gettext("This sign-in link is invalid, expired or already used.")
    page = render(
        request,
        "customers/magic_link_confirm.html",
        context,
        status=200 if challenge else 400,
    )
    return private_page(page)


@never_cache
def customer_auth_callback(request):
    """Demo stand-in for the customer app's `/auth/callback`: the browser keeps the `#token=`
    fragment across this redirect, and the demo page picks it up."""
    require_demo_pages()
    return HttpResponseRedirect("/demo/customer-auth")


@never_cache
def customer_auth_demo(request):
    """Try the whole sign-in in a browser: request, verify, copy the JWT, call /me."""
    require_demo_pages()
    merchants = Merchant.objects.filter(is_active=True).order_by("name")
    # The shop whose demo customer has orders, so signing in shows some.
    preselected = demo_merchant(request.GET.get("merchant"))
    default = preselected.slug if preselected else ""
    context = {
        "merchants": merchants,
        "default_merchant": default,
        "console_email": settings.EMAIL_BACKEND.endswith("console.EmailBackend"),
        "app_url": settings.APP_URL,
        "site_url": settings.SITE_URL,
    }
    return private_page(render(request, "customers/demo_customer_auth.html", context))
