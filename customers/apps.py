from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class CustomersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "customers"
    verbose_name = gettext_lazy("Customers")

    def ready(self) -> None:
        # Registers the customer Bearer scheme with drf-spectacular.
        from customers import auth  # noqa: F401
