from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class PhotoboxConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "photobox"
    verbose_name = gettext_lazy("Photobox")

    def ready(self) -> None:
        from payments import registry
        from photobox import auth, signals  # noqa: F401 - schema extensions and receivers
        from photobox.selectors import photo_session_reference_labels
        from photobox.services import REFERENCE_KIND, photo_session_payment_changed

        registry.register(REFERENCE_KIND, photo_session_payment_changed)
        registry.register_labels(REFERENCE_KIND, photo_session_reference_labels)
