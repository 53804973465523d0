"""Class checks for the input limits (issue 15): a new member of the class fails here.

- every text field of IntakeMessage (what every channel parses into) has a cap, or is listed
  below with the reason it needs none;
- every API view that accepts JSON parses it with the bounded parser."""

import dataclasses
import typing

from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.parsers import JSONParser
from rest_framework.views import APIView

from intake.parsers.message import IntakeMessage
from kernel.json_input import BoundedJSONParser
from kernel.limits import TEXT_CAPS

# Text fields that need no length cap, and why.
UNCAPPED = {
    "channel": "one of a fixed set, checked by IntakeMessage itself",
    "customer_phone": "normalised by kernel.personal_data.normalize_phone, or None",
    "reply_to_reference": "found by a regex: TS and 14 digits",
    "priority": "a Priority choice, validated by the channel",
    "product_line": "a ProductLine choice, validated by the channel",
    "source": "a fixed namespace set in code (import), never the sender's input",
}


def test_every_text_field_of_a_message_has_a_cap():
    hints = typing.get_type_hints(IntakeMessage)
    text = {f.name for f in dataclasses.fields(IntakeMessage)
            if hints[f.name] in (str, str | None)}
    assert text - set(UNCAPPED) == set(TEXT_CAPS)


def _views(resolver=None):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern)
        elif isinstance(pattern, URLPattern):
            cls = getattr(pattern.callback, "cls", None)
            if cls is not None and issubclass(cls, APIView):
                yield pattern.pattern, cls


def test_every_api_view_parses_json_with_bounds():
    routes = {str(route) for route, _cls in _views()}
    assert {"auth/token/", "api/v1/public/complaints/", "api/v1/intake/webhooks/<str:channel>/",
            "api/v1/complaints/"} <= routes  # the walk reaches them
    unbounded = [str(route) for route, cls in _views()
                 for parser in cls().get_parsers()
                 if isinstance(parser, JSONParser) and not isinstance(parser, BoundedJSONParser)]
    assert unbounded == []
