"""Every model has an admin page with search and filters, and it opens."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import make_complaint

pytestmark = pytest.mark.django_db
PROJECT_APPS = {"kernel", "complaints", "notifications", "intake", "sla", "workspace", "followup"}


def test_every_project_model_is_in_the_admin():
    from django.apps import apps

    for app in PROJECT_APPS:
        for model in apps.get_app_config(app).get_models():
            assert model in admin.site._registry, f"{model.__name__} has no admin"


@pytest.mark.parametrize("model", [m for m in admin.site._registry
                                   if m._meta.app_label in PROJECT_APPS],
                         ids=lambda m: m.__name__)
def test_changelist_opens_with_search(client, model):
    from django.contrib.auth import get_user_model

    make_complaint()
    boss = get_user_model().objects.create_superuser("root", "root@example.com", "pw-12345")
    client.force_login(boss)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert client.get(url).status_code == 200
    if admin.site._registry[model].search_fields:
        assert client.get(url, {"q": "TS2026"}).status_code == 200


def test_old_admin_addresses_of_moved_models_lead_to_their_new_app(client):
    """Bookmarks from before the apps were split (issue 13) still work."""
    answer = client.get("/admin/complaints/outboundmessage/?status=failed")
    assert answer.status_code == 301
    assert answer["Location"] == "/admin/notifications/outboundmessage/?status=failed"
    answer = client.get("/admin/complaints/callbacktask/12/change/")
    assert answer["Location"] == "/admin/followup/callbacktask/12/change/"
    # The record's own models stay where they were.
    assert client.get("/admin/complaints/complaint/").status_code == 302  # to the login page
