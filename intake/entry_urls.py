"""Staff intake: the agents' entry form, regulator imports, the outbox."""

urlpatterns: list = []
