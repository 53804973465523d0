"""Idempotency keys of requests that write what a retry must not write twice (issue 16).

A client that retries after a lost answer (a timeout after the commit) sends the same key: the
service finds what the first request wrote and answers with it; nothing new is written. The
same key with another body is not a retry: `IdempotencyConflict` (409), nothing written. The API
takes the key from the `Idempotency-Key` header; an HTML form carries a one-time token
(`new_form_token`, rendered hidden), so a double submit is one write.
"""

import hashlib
import json
import uuid

from django import forms
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter

from kernel.errors import DomainError, InvalidInput

MAX_KEY_LENGTH = 200  # as the webhooks (docs/security.md)


class IdempotencyConflict(DomainError):
    """The key was used before for other content: not a retry, and not recorded."""

    status_code = 409
    code = "idempotency_conflict"


def idempotency_conflict() -> IdempotencyConflict:
    return IdempotencyConflict(
        _("This Idempotency-Key was already used for a different message; nothing was "
          "recorded. Send each message with its own key, and a retry with the same key "
          "and the same body."), field="Idempotency-Key")


def request_digest(*parts) -> str:
    """What a key remembers of its request: the SHA-256 of its parts as canonical JSON."""
    canonical = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def header_key(request) -> str:
    """The request's `Idempotency-Key` header ("" without one: no de-duplication)."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(_("The Idempotency-Key header is at most %(max)d characters.")
                           % {"max": MAX_KEY_LENGTH}, field="Idempotency-Key")
    return key


def new_form_token() -> str:
    """A one-time token for a form's hidden field (a callable `initial`: new on each render)."""
    return uuid.uuid4().hex


def form_token_field() -> forms.CharField:
    """The hidden one-time token of a form whose double submit must write once: rendered new
    with each unbound form, sent back as it was with each submit of that page."""
    return forms.CharField(required=False, max_length=64, widget=forms.HiddenInput,
                           initial=new_form_token)


# The header as the API schema documents it, on every endpoint that takes it.
IDEMPOTENCY_KEY_HEADER = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
    description=f"At most {MAX_KEY_LENGTH} characters, the same on every retry of one request: a "
                "retry gets the first answer again and writes nothing new; the key with another "
                "body answers 409 (idempotency_conflict).")
