from django.apps import AppConfig


class MerchantsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "merchants"
    verbose_name = "Merchants"

    def ready(self) -> None:
        from merchants import checks, login_guard, signals  # noqa: F401
