"""Public pages for customers (no login): /submit/, /track/, and the public API."""

urlpatterns: list = []
