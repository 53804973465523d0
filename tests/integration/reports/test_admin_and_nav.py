"""Report tables in the admin (subscriber counts are configured there); the nav link."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", list(apps.get_app_config("reports").get_models()),
                         ids=lambda m: m.__name__)
def test_every_report_model_has_an_admin_page_that_opens(client, model, dataset):
    from django.contrib.auth import get_user_model

    assert model in admin.site._registry
    boss = get_user_model().objects.create_superuser("root", "root@example.com", "pw-12345")
    client.force_login(boss)
    url = reverse(f"admin:reports_{model._meta.model_name}_changelist")
    assert client.get(url).status_code == 200
    assert client.get(url, {"q": "2025"}).status_code == 200


def test_administrators_set_subscriber_counts(client, administrator):
    administrator.is_staff = True
    administrator.save()
    client.force_login(administrator)
    response = client.post(reverse("admin:reports_subscribercount_add"),
                           {"period_start": "2026-01-01", "subscribers": "12000000",
                            "note": "全省移动用户"})
    assert response.status_code == 302
    from reports.models import SubscriberCount

    assert SubscriberCount.objects.get().subscribers == 12_000_000


def test_reports_link_only_for_those_allowed(client, supervisor, agent):
    client.force_login(supervisor)
    assert f'href="{reverse("reports:dashboard")}"' in client.get("/").content.decode()
    client.force_login(agent)
    assert f'href="{reverse("reports:dashboard")}"' not in client.get("/").content.decode()
