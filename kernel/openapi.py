"""The API's error answers in its OpenAPI schema (drf-spectacular postprocessing hook).

Every operation can meet the same refusals whatever its view says: a malformed or invalid body
(400), a missing or bad token (401), a role or scope that does not allow it (403), an unknown or
out-of-scope object or address (404), a body too large (413), an unsupported media type (415),
a throttle (429); a write can also meet a conflict (409: a stale version, a reused key). The
bodies are those of the EXCEPTION_HANDLER (complaints/api_errors.py over DRF's) and of the JSON
error handlers for /api/ (config/views.py): an object with `detail`, and for domain errors
`code` and `field`; a validation failure is an object of field → messages (or a list).

Answers a view documents itself are kept as they are; this only fills the gaps."""

ERROR = "Error"
VALIDATION_ERROR = "ValidationError"

ERROR_SCHEMA = {
    "type": "object",
    "description": "A refused request. `code` and `field` come with domain errors.",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "field": {"type": "string"},
    },
    "required": ["detail"],
    "additionalProperties": True,
}
VALIDATION_ERROR_SCHEMA = {
    "description": "Invalid input: field name → messages (nested for nested fields), "
                   "`non_field_errors`, or `detail` (with `code`/`field` for domain errors).",
    "oneOf": [
        {"type": "object", "additionalProperties": True},
        {"type": "array", "items": {"type": "string"}},
    ],
}

# status → (description, component, applies to: "all" | "write" | "body")
COMMON_ANSWERS = {
    "400": ("Invalid input; nothing was changed.", VALIDATION_ERROR, "all"),
    "401": ("No credentials, or a bad or expired token.", ERROR, "all"),
    "403": ("Not allowed for this user's role or scope.", ERROR, "all"),
    "404": ("No such object (or not within the user's scope), or no such address.", ERROR, "all"),
    "409": ("Conflict: the object changed since it was read (stale version) or a key was "
            "reused with another body; nothing was written.", ERROR, "write"),
    "413": ("The request body is too large.", ERROR, "all"),
    "415": ("Unsupported media type.", ERROR, "body"),
    "429": ("Too many requests; retry after the `Retry-After` header's seconds.", ERROR, "all"),
}
WRITE_METHODS = {"post", "put", "patch", "delete"}


def _applies(scope: str, method: str, operation: dict) -> bool:
    if scope == "write":
        return method in WRITE_METHODS
    if scope == "body":
        return "requestBody" in operation
    return True


def add_error_answers(result, generator, request, public):
    """POSTPROCESSING_HOOKS entry: the common error answers on every operation."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(ERROR, ERROR_SCHEMA)
    schemas.setdefault(VALIDATION_ERROR, VALIDATION_ERROR_SCHEMA)
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in {"get", "put", "post", "patch", "delete", "head", "options"}:
                continue
            responses = operation.setdefault("responses", {})
            for status, (description, component, scope) in COMMON_ANSWERS.items():
                documented = responses.get(status)
                if documented is not None and not documented.get("content"):
                    # The view described it (description only): the common body fills it in.
                    documented["content"] = _json_body(component)
                if documented is not None or not _applies(scope, method, operation):
                    continue
                responses[status] = {"description": description,
                                     "content": _json_body(component)}
    return result


def _json_body(component: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}}
