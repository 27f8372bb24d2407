"""The admin site: Django's, with the dashboard as its index page.

`merchants.apps.PosAdminConfig` (in INSTALLED_APPS instead of `django.contrib.admin`) makes it
the default site, so `admin.site` and `@admin.register` are this site everywhere.
"""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.urls import path

from merchants.login_guard import LockAwareLoginFormMixin


class StaffAdminLoginForm(LockAwareLoginFormMixin, AdminAuthenticationForm):
    """The admin's login, saying when to try again after repeated failures."""


class PosAdminSite(admin.AdminSite):
    site_header = "POS Back-office"
    site_title = "POS Back-office"
    index_title = "Run your shop"
    login_form = StaffAdminLoginForm

    def get_urls(self):
        # The index is the dashboard: the merchant's panels above Django's list of apps.
        urls = [url for url in super().get_urls() if getattr(url, "name", None) != "index"]
        return [path("", self.admin_view(self.dashboard), name="index"), *urls]

    def dashboard(self, request, extra_context=None):
        from merchants.dashboard import dashboard_context  # reads models: after apps load

        context = {"dashboard": dashboard_context(request), **(extra_context or {})}
        return self.index(request, extra_context=context)
