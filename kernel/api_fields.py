"""Serializer fields the API's output shares.

`RelatedSlug` (a related object's slug) and `RelatedPk` (its id) are read-only and null exactly
when the model field may be: their `allow_null` (and so the schema's `nullable`) is taken from
the model when the field is bound, so an optional relation is never documented as always present
(issue 15). tests/integration/test_api_error_answers.py finds any output field that forgets it."""

import copy

from django.core.exceptions import FieldDoesNotExist
from rest_framework import serializers


class FieldsBuiltOnce:
    """For output serializers whose fields depend on their class alone (no per-instance or
    per-request fields): a ModelSerializer builds its fields from the model again for every
    instance, most of the time an answer's serialisation took (a complaint with its timeline:
    about 4 ms). Here a class's fields are built once per process and each instance gets its
    own copies of them, unbound, and binds them as before. A deep copy (what DRF does with
    declared fields) constructs every field again and took most of the time saved: output
    fields are only read once built, so a shallow copy of each is enough, with the child of a
    nested list copied too, since binding sets it (`_copy`)."""

    def get_fields(self):
        cls = type(self)
        prototype = cls.__dict__.get("_fields_prototype")
        if prototype is None:
            prototype = super().get_fields()
            cls._fields_prototype = prototype
        return {name: _copy(field) for name, field in prototype.items()}


def _copy(field):
    """An unbound copy of an unbound output field; a nested list gets its own child, bound to
    it as ListSerializer binds its child."""
    new = copy.copy(field)
    if isinstance(field, (serializers.ListSerializer, serializers.ListField)):
        new.child = _copy(field.child)
        new.child.source = None  # as constructed: binding sets it from the field name
        new.child.bind(field_name="", parent=new)
    return new


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
