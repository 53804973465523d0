"""Staff intake: the agents' entry form, regulator imports (pages and API). Included at the root
by config/urls.py."""

from django.urls import path

from . import api_entry, entry_views

urlpatterns = [
    path("intake/new/", entry_views.entry, name="intake-entry"),
    path("intake/caller/", entry_views.caller, name="intake-caller"),
    path("intake/regulator-imports/", entry_views.regulator_imports,
         name="intake-regulator-imports"),
    path("intake/regulator-imports/<int:import_id>/", entry_views.regulator_import,
         name="intake-regulator-import"),
    path("intake/regulator-imports/<int:import_id>/report.csv",
         entry_views.regulator_import_report, name="intake-regulator-import-report"),
    path("api/v1/intake/regulator-imports/", api_entry.RegulatorImportCreateApi.as_view(),
         name="api-intake-regulator-imports"),
    path("api/v1/intake/regulator-imports/<int:import_id>/",
         api_entry.RegulatorImportDetailApi.as_view(), name="api-intake-regulator-import"),
]
