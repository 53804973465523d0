"""Deadline settings pages, mounted at /settings/sla/."""

from datetime import date

from django.urls import path, register_converter

from . import config_views as views


class IsoDateConverter:
    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> date:
        return date.fromisoformat(value)  # ValueError → 404

    def to_url(self, value: date) -> str:
        return value.isoformat()


register_converter(IsoDateConverter, "sla_date")

app_name = "sla_config"
urlpatterns = [
    path("", views.index, name="index"),
    path("policies/", views.policy_list, name="policies"),
    path("policies/new/", views.policy_create, name="policy-create"),
    path("policies/<int:pk>/", views.policy_edit, name="policy-edit"),
    path("policies/<int:pk>/deactivate/", views.policy_deactivate, name="policy-deactivate"),
    path("calendars/", views.calendar_list, name="calendars"),
    path("calendars/<int:pk>/hours/", views.calendar_hours, name="calendar-hours"),
    path("calendars/years/<int:year>/", views.calendar_days, name="days"),
    path("calendars/years/<int:year>/load/", views.calendar_year_load, name="year-load"),
    path("calendars/years/<int:year>/verify/", views.calendar_year_verify, name="year-verify"),
    path("calendars/days/<sla_date:day>/", views.calendar_day_edit, name="day-edit"),
    path("calendars/days/<sla_date:day>/delete/", views.calendar_day_delete, name="day-delete"),
]
