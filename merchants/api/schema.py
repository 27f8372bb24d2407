"""OpenAPI additions: the one error shape, documented on every operation."""

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "example": "invalid"},
                "message": {"type": "string", "example": "name: This field is required."},
                "details": {"type": "object", "additionalProperties": True},
            },
            "required": ["code", "message", "details"],
        }
    },
    "required": ["error"],
}

COMMON_ERRORS = {
    "400": "Invalid input; `message` names the field.",
    "401": "Not logged in, or the credentials are invalid.",
    "403": "Logged in, but not allowed here.",
    "404": "No such object (or not yours).",
    "405": "Method not allowed on this path.",
    "429": "Too many requests; retry later.",
}
WRITE_ERRORS = {
    "409": "Conflicts with the current state (status, stock, quota, a duplicate).",
    "413": "The body is larger than the limit the message names.",
    "415": "The body's content type is not accepted, or the body cannot be read as it.",
    "502": "A payment or media provider failed; nothing was changed.",
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation documents the error shape."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            errors = dict(COMMON_ERRORS)
            if method in ("post", "put", "patch", "delete"):
                errors.update(WRITE_ERRORS)
            for code, description in errors.items():
                operation["responses"].setdefault(
                    code,
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
    return result
