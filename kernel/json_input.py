"""JSON from outside, parsed with bounds: DRF's default parser and the views that parse JSON
themselves (webhooks) use it.

Python's json module recurses once per nesting level, so a body of 3,000 "[" ends in a
RecursionError (a 500); it also accepts "\\ud800" (a lone surrogate, which cannot be encoded again)
and "\\u0000" (which PostgreSQL cannot store). Here the depth is measured before parsing, the
size is capped, and every string (keys too) is checked after: each fault is an `InvalidJson`
with a message for the client, answered with a 400.
"""

from __future__ import annotations

import json
import re

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from kernel.limits import text_problem

# A JSON string literal, unrolled so the regex engine never backtracks.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class InvalidJson(ValueError):
    def __init__(self, message, *, field: str = ""):
        super().__init__(str(message))
        self.message, self.field = message, field


def max_depth() -> int:
    return int(getattr(settings, "INPUT_JSON_MAX_DEPTH", 32))


def max_bytes() -> int:
    return int(getattr(settings, "INPUT_JSON_MAX_BYTES", 1_000_000))


def json_loads_bounded(data: bytes | str, *, depth: int | None = None,
                       size: int | None = None):
    """The parsed document, or InvalidJson (too big, too deep, not JSON, bad text)."""
    depth, size = depth or max_depth(), size or max_bytes()
    if len(data) > size:
        raise InvalidJson(_("The JSON body is %(size)d bytes; at most %(max)d are allowed.")
                          % {"size": len(data), "max": size})
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidJson(_("The body is not UTF-8 encoded JSON.")) from error
    _check_depth(data, depth)
    try:
        document = json.loads(data, parse_constant=_no_constant)
    except (ValueError, RecursionError) as error:
        raise InvalidJson(_("The body is not valid JSON: %(error)s") % {"error": error}) from error
    _check_strings(document)
    return document


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


def _check_depth(text: str, limit: int) -> None:
    level = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        if match.group() in "[{":
            level += 1
            if level > limit:
                raise InvalidJson(_("The JSON body is nested deeper than %(max)d levels.")
                                  % {"max": limit})
        else:
            level -= 1


def _check_strings(document) -> None:
    stack = [("", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            _check_text(value, path)
        elif isinstance(value, dict):
            for key, item in value.items():
                _check_text(key, path)
                stack.append((f"{path}.{key}" if path else key, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))


def _check_text(value: str, path: str) -> None:
    problem = text_problem(value)
    if problem is not None:
        where = path or _("the body")
        raise InvalidJson(_("The text at “%(field)s” was refused: %(problem)s") % {
            "field": where, "problem": problem}, field=path)


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with the bounds above (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"])."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = stream.read(max_bytes() + 1) if stream is not None else b""
        try:
            return json_loads_bounded(data)
        except InvalidJson as error:
            raise ParseError(str(error.message)) from error
