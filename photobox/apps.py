from django.apps import AppConfig


class PhotoboxConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "photobox"
