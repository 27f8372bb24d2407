from django.urls import re_path
from rest_framework.routers import DefaultRouter


class OptionalSlashRouter(DefaultRouter):
    """Every route answers with and without a trailing slash."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.trailing_slash = "/?"


def api_path(route: str, view, name: str):
    """A non-router API route that also answers with and without a trailing slash."""
    return re_path(rf"^{route}/?$", view, name=name)
