"""The desk: queues, search, bulk actions, team workload. Included at /desk/."""

urlpatterns: list = []
