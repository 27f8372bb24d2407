from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy


class MerchantsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "merchants"
    verbose_name = gettext_lazy("Merchants")

    def ready(self) -> None:
        from merchants import checks, i18n, login_guard, signals  # noqa: F401
        from merchants.observability import worker  # noqa: F401 - Celery signal handlers


class PosAdminConfig(admin_apps.AdminConfig):
    """Django's admin app with the product's site (merchants/admin_site.py) as `admin.site`."""

    default = False  # listed by its full path in INSTALLED_APPS; "merchants" is MerchantsConfig
    default_site = "merchants.admin_site.PosAdminSite"
