from django.apps import AppConfig


class CustomersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "customers"
    verbose_name = "Customers"

    def ready(self) -> None:
        # Registers the customer Bearer scheme with drf-spectacular.
        from customers import auth  # noqa: F401
