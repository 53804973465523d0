"""Reports through the API. Included at /api/v1/reports/."""

urlpatterns: list = []
