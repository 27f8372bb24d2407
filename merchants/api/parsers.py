"""The API's body parsers: bounded size and nesting, so a hostile body is a 4xx, never a crash.

DRF's JSON and form parsers read the request stream themselves, past Django's
`DATA_UPLOAD_MAX_MEMORY_SIZE` (which only `request.body` and Django's form parsing enforce):
here a body over it is a 413 naming the limit. Multipart uploads keep Django's own limits
(files stream to disk; `DATA_UPLOAD_MAX_NUMBER_FILES`), turned into 4xx by the API's exception
handler.
"""

import io

from django.conf import settings
from django.utils.translation import gettext
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser

from merchants.errors import PayloadTooLarge


def bounded_stream(stream, parser_context) -> io.BytesIO:
    """The body, read whole but never past `DATA_UPLOAD_MAX_MEMORY_SIZE` (413 beyond)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    too_large = PayloadTooLarge(
        gettext("The request body is larger than %(limit)s bytes, the most accepted here.")
        % {"limit": limit},
        details={"limit_bytes": limit},
    )
    request = (parser_context or {}).get("request")
    meta = getattr(request, "META", {})
    try:
        declared = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if limit is not None and declared > limit:
        raise too_large
    body = stream.read(limit + 1) if limit is not None else stream.read()
    if limit is not None and len(body) > limit:
        raise too_large
    return io.BytesIO(body)


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
    """DRF's JSON parser, refusing bodies over `DATA_UPLOAD_MAX_MEMORY_SIZE` (413) and nested
    deeper than `API_JSON_MAX_DEPTH` (400; deep enough input would otherwise exhaust Python's
    recursion limit: a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_JSON_MAX_DEPTH
        too_deep = ParseError(
            gettext("JSON nested too deeply; at most %(limit)s levels are accepted.")
            % {"limit": limit}
        )
        stream = bounded_stream(stream, parser_context)
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise too_deep from None
        if json_depth_exceeds(data, limit):
            raise too_deep
        return data


class BoundedFormParser(FormParser):
    """DRF's urlencoded form parser, refusing bodies over `DATA_UPLOAD_MAX_MEMORY_SIZE` (413)
    and more than `DATA_UPLOAD_MAX_NUMBER_FIELDS` fields (400, as Django's own forms do)."""

    def parse(self, stream, media_type=None, parser_context=None):
        from django.http import QueryDict

        stream = bounded_stream(stream, parser_context)
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        # QueryDict itself refuses more than DATA_UPLOAD_MAX_NUMBER_FIELDS fields.
        return QueryDict(stream.read(), encoding=encoding)
