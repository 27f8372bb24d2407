"""The browsable API, fitted to actions: each form is the action's own input, lists are typed
as JSON, and only what answers a GET is offered as a link."""

from rest_framework import serializers
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.request import override_method


def _has_lists(serializer) -> bool:
    """DRF's HTML form cannot take lists ("Lists are not currently supported in HTML input")."""
    return any(
        isinstance(field, serializers.ListSerializer | serializers.ListField)
        or (isinstance(field, serializers.Serializer) and _has_lists(field))
        for field in serializer.fields.values()
    )


class ActionFormsBrowsableAPIRenderer(BrowsableAPIRenderer):
    def get_rendered_html_form(self, data, view, method, request):
        # A body with lists (order lines, tenders) is only offered as raw JSON, pre-filled by
        # the serializer's initial data, instead of an HTML form that cannot hold it.
        if method in ("POST", "PUT", "PATCH") and hasattr(view, "get_serializer"):
            with override_method(view, request, method):
                serializer = view.get_serializer()
            if _has_lists(serializer):
                return None
        return super().get_rendered_html_form(data, view, method, request)

    def get_extra_actions(self, view, status_code):
        # Only actions that answer a GET are links: the others would open on a 405.
        links = super().get_extra_actions(view, status_code)
        if not links or not hasattr(view, "get_extra_actions"):
            return links
        readable = {}
        for action in view.get_extra_actions():
            if action.detail != view.detail or "get" not in action.mapping:
                continue
            name = view.__class__(**action.kwargs).get_view_name()
            if name in links:
                readable[name] = links[name]
        return readable
