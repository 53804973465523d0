"""Serializer fields the API's output shares.

`RelatedSlug` is a read-only slug of a related object that is null exactly when the model field
may be: its `allow_null` (and so the schema's `nullable`) is taken from the model when the field
is bound, so an optional relation can never again be documented as always present (issue 15)."""

from django.core.exceptions import FieldDoesNotExist
from rest_framework import serializers


class RelatedSlug(serializers.SlugRelatedField):
    def __init__(self, slug_field: str, **kwargs):
        kwargs["read_only"] = True
        self._explicit_null = kwargs.get("allow_null")
        super().__init__(slug_field=slug_field, **kwargs)

    def bind(self, field_name, parent):
        super().bind(field_name, parent)
        if self._explicit_null is None:
            self.allow_null = _model_field_is_nullable(parent, self.source)


def _model_field_is_nullable(serializer, source: str) -> bool:
    """Whether the model field behind `source` may be null; True when it cannot be told
    (no model, a dotted or computed source): saying "may be null" is then the honest answer."""
    model = getattr(getattr(serializer, "Meta", None), "model", None)
    if model is None or "." in source:
        return True
    try:
        return model._meta.get_field(source).null
    except FieldDoesNotExist:
        return True
