"""The admin site: Django's, with the dashboard as its index page.

`merchants.apps.PosAdminConfig` (in INSTALLED_APPS instead of `django.contrib.admin`) makes it
the default site, so `admin.site` and `@admin.register` are this site everywhere.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from merchants.login_guard import LockAwareLoginFormMixin

# The sections of one kind of business: app label → model names (None: the whole app). A café's
# owner does not see the kiosks; a photobox owner does not see the menu, tables or orders.
CAFE_SECTIONS = {
    "orders": None,
    "catalog": None,
    "merchants": {"tablelocation"},
    "payments": {"paymentmethod"},
}
PHOTOBOX_SECTIONS = {"photobox": None}
PHOTOBOX = "photobox"  # Merchant.BusinessType.PHOTOBOX


class StaffAdminLoginForm(LockAwareLoginFormMixin, AdminAuthenticationForm):
    """The admin's login, saying when to try again after repeated failures."""


class PosAdminSite(admin.AdminSite):
    site_header = _("POS Back-office")
    site_title = _("POS Back-office")
    index_title = _("Run your shop")
    login_form = StaffAdminLoginForm

    def get_urls(self):
        # The index is the dashboard: the merchant's panels above Django's list of apps.
        urls = [url for url in super().get_urls() if getattr(url, "name", None) != "index"]
        return [
            path("", self.admin_view(self.dashboard), name="index"),
            path("language/", self.admin_view(self.language), name="language"),
            *urls,
        ]

    def each_context(self, request):
        context = super().each_context(request)
        context["language_choices"] = settings.LANGUAGES
        return context

    @staticmethod
    @require_POST
    def language(request):
        """The staff member's language, chosen in the header: kept in their profile."""
        from merchants.i18n import LANGUAGE_CODES, staff_language_set

        language = request.POST.get("language", "")
        if language and language not in LANGUAGE_CODES:
            return HttpResponseBadRequest(_("Choose English or Bahasa Indonesia."))
        staff_language_set(request=request, language=language)
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
            target = reverse("admin:index")
        response = HttpResponseRedirect(target)
        if language:
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
        else:
            response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
        return response

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        if request.user.is_superuser or not request.user.is_authenticated:
            return apps  # the operator sees every section
        from merchants.tenancy import business_types_of  # reads models: after apps load

        kinds = business_types_of(request.user)
        hidden = {}
        if PHOTOBOX not in kinds:
            hidden.update(PHOTOBOX_SECTIONS)
        if kinds and kinds <= {PHOTOBOX}:
            hidden.update(CAFE_SECTIONS)
        return _without(apps, hidden)

    def dashboard(self, request, extra_context=None):
        from merchants.dashboard import dashboard_context  # reads models: after apps load

        context = {"dashboard": dashboard_context(request), **(extra_context or {})}
        return self.index(request, extra_context=context)


def _without(apps: list[dict], hidden: dict) -> list[dict]:
    kept = []
    for app in apps:
        label = app["app_label"]
        if label in hidden and hidden[label] is None:
            continue
        names = hidden.get(label) or set()
        models = [m for m in app["models"] if m["object_name"].lower() not in names]
        if models:
            kept.append({**app, "models": models})
    return kept
