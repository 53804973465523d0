"""Closing the loop: result confirmation, surveys, callbacks."""

urlpatterns: list = []
