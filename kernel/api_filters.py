"""Query-string filters the API shares.

`UtcIsoDateTimeFilter`: an ISO 8601 moment in a query string, turned into UTC before it reaches
the database. Python accepts offsets up to ±23:59 and any year, PostgreSQL only ±15:59 and its
own range, so `received_before=0524-04-10T15:26:39-23:11` was a 500 (issue 15). Now a moment
that has no UTC value is a 400, and any other is compared in UTC."""

from datetime import UTC

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _


class UtcIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    def clean(self, value):
        moment = super().clean(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError(_("This date and time is out of range."),
                                        code="out_of_range") from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField
