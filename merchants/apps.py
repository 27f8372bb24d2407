from django.apps import AppConfig


class MerchantsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "merchants"
    verbose_name = "Merchants"

    def ready(self) -> None:
        from merchants import checks, signals  # noqa: F401
        from merchants.observability import worker  # noqa: F401 - Celery signal handlers
