"""The reports dashboard and exports. Included at /reports/."""

urlpatterns: list = []
