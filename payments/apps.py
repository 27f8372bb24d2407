from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class PaymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"
    verbose_name = gettext_lazy("Payments")
