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


def router_view(router: DefaultRouter, name: str):
    """The view `router` serves under the URL name `name` (e.g. "order-list")."""
    for pattern in router.urls:
        if getattr(pattern, "name", None) == name:
            return pattern.callback
    raise LookupError(f"The router has no URL named {name!r}.")
