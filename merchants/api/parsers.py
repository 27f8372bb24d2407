"""The API's JSON parser: bounded nesting, so a hostile body is a 400, never a crash."""

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def json_depth_exceeds(value, limit: int) -> bool:
    """Whether `value` (parsed JSON) nests deeper than `limit` arrays/objects (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing bodies nested deeper than `API_JSON_MAX_DEPTH` with a 400
    (deep enough input would otherwise exhaust Python's recursion limit: a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_JSON_MAX_DEPTH
        too_deep = ParseError(f"JSON nested too deeply; at most {limit} levels are accepted.")
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise too_deep from None
        if json_depth_exceeds(data, limit):
            raise too_deep
        return data
