"""A complaint's page, its actions and reply composer; canned responses, red lines, approvals."""

urlpatterns: list = []
