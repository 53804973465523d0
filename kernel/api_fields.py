"""Serializer fields the API's output shares.

`RelatedSlug` (a related object's slug) and `RelatedPk` (its id) are read-only and null exactly
when the model field may be: their `allow_null` (and so the schema's `nullable`) is taken from
the model when the field is bound, so an optional relation is never documented as always present
(issue 15). tests/integration/test_api_error_answers.py finds any output field that forgets it."""

from django.core.exceptions import FieldDoesNotExist
from rest_framework import serializers


class _NullLikeTheModel:
    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        self._explicit_null = kwargs.get("allow_null")
        super().__init__(**kwargs)

    def bind(self, field_name, parent):
        super().bind(field_name, parent)
        if self._explicit_null is None:
            self.allow_null = _model_field_is_nullable(parent, self.source)


class RelatedSlug(_NullLikeTheModel, serializers.SlugRelatedField):
    pass


class RelatedPk(_NullLikeTheModel, serializers.PrimaryKeyRelatedField):
    pass


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
