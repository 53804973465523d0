"""The API's error answers (issue 15): malformed bodies are 400s not 500s, an unknown address
under /api/ is a JSON 404, the schema documents every common refusal with the body the
exception handler really sends, and a relation that may be empty is documented as nullable."""

import pytest
from django.core.management import call_command
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

from complaints.api import ComplaintOutput
from notifications.models import Notification
from tests.builders import complaint_in
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


# --- malformed bodies (each was a 500) --------------------------------------------------------


def test_marking_notifications_read_with_a_form_body_is_a_clear_400(agent, client_for):
    Notification.objects.create(recipient=agent, kind="assigned", message="x")
    response = client_for(agent).post("/api/v1/notifications/read/", {"ids": "{}"})
    assert response.status_code == 400
    assert "ids" in response.json()
    assert Notification.objects.filter(recipient=agent, read_at__isnull=True).count() == 1


@pytest.mark.parametrize("body", [[1, 2], "ids", {"ids": ["x"]}, {"ids": [2**70]}])
def test_marking_notifications_read_with_a_body_of_the_wrong_shape_is_a_400(
        agent, client_for, body):
    response = client_for(agent).post("/api/v1/notifications/read/", body, format="json")
    assert response.status_code == 400


def test_marking_some_notifications_read_still_marks_only_those(agent, client_for):
    first, second = (Notification.objects.create(recipient=agent, kind="assigned", message=m)
                     for m in ["a", "b"])
    response = client_for(agent).post("/api/v1/notifications/read/", {"ids": [first.id]},
                                      format="json")
    assert response.json() == {"marked": 1}
    second.refresh_from_db()
    assert second.read_at is None


@pytest.mark.parametrize("body", [["宣传单"], "宣传单", {"text": ["宣传单"]}, {"text": {"a": 1}}])
def test_red_line_check_with_a_body_of_the_wrong_shape_is_a_400(agent, client_for, body):
    response = client_for(agent).post("/api/v1/redline/check/", body, format="json")
    assert response.status_code == 400


def test_a_moment_with_an_offset_postgresql_does_not_know_is_compared_in_utc(
        administrator, client_for):
    complaint = complaint_in("new")
    response = client_for(administrator).get(
        "/api/v1/complaints/", {"received_after": "2000-01-01T15:26:39-23:11"})
    assert response.status_code == 200
    assert [row["reference"] for row in response.json()["results"]] == [complaint.reference]


def test_a_moment_with_no_utc_value_is_a_clear_400(administrator, client_for):
    response = client_for(administrator).get(
        "/api/v1/complaints/", {"received_before": "0001-01-01T00:00:00+01:00"},
        HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {"received_before": ["This date and time is out of range."]}


@pytest.mark.parametrize("url", ["/api/v1/canned-responses/?complaint=TS%00",
                                 "/api/v1/complaints/TS%00/"])
def test_a_reference_with_a_nul_byte_is_not_found(administrator, client_for, url):
    assert client_for(administrator).get(url).status_code == 404


# --- JSON errors under /api/ ------------------------------------------------------------------


def test_an_unknown_api_address_is_a_json_404_in_the_callers_language(settings):
    settings.DEBUG = False
    response = Client().get("/api/v1/no-such-thing/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}
    chinese = Client().get("/api/v1/complaints/x/unknown-action/",
                           HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.status_code == 404 and chinese.json() == {"detail": "未找到。"}


def test_an_unexpected_failure_under_the_api_is_a_json_500(settings, monkeypatch, agent):
    settings.DEBUG = False

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("complaints.api.ComplaintDetailApi.get", broken)
    client = Client(raise_request_exception=False)
    client.force_login(agent)
    response = client.get("/api/v1/complaints/TS20990101000001/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 500
    assert response.json() == {"detail": "Server error; please try again later."}


def test_an_unknown_page_outside_the_api_is_still_the_readable_page(settings):
    settings.DEBUG = False
    response = Client().get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


# --- the schema ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(public=True)


def test_the_schema_is_valid_openapi_3(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))


def test_every_operation_documents_the_common_refusals(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            answers = set(operation["responses"])
            assert {"400", "401", "403", "404", "413", "429"} <= answers, (method, path)
            if method != "get":
                assert "409" in answers, (method, path)
            for status in answers - {"200", "201", "202", "204"}:
                assert operation["responses"][status].get("content"), (method, path, status)


def test_the_documented_error_body_is_what_the_exception_handler_sends(agent, client_for, schema):
    """A domain refusal (stale version, 409) and a DRF one (404) both carry `detail`."""
    error = schema["components"]["schemas"]["Error"]
    complaint = complaint_in("new")
    stale = client_for(StaffFactory(role="supervisor")).post(
        f"/api/v1/complaints/{complaint.reference}/acknowledge/", {"version": 999},
        format="json")
    missing = client_for(agent).get("/api/v1/complaints/TS20990101000001/")
    for response in [stale, missing]:
        body = response.json()
        assert set(error["required"]) <= set(body)
        assert all(isinstance(body[k], str) for k in ["detail", "code", "field"] if k in body)
    assert stale.status_code == 409 and missing.status_code == 404


def test_optional_relations_are_documented_as_nullable(schema):
    components = schema["components"]["schemas"]
    assert components["CategoryOutput"]["properties"]["parent"].get("nullable")
    for name in ["assigned_agent", "merged_into", "possible_duplicate_of"]:
        assert components["ComplaintOutput"]["properties"][name].get("nullable"), name


def _model_serializers():
    seen, todo = set(), list(serializers.ModelSerializer.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls not in seen:
            seen.add(cls)
            todo.extend(cls.__subclasses__())
    return [c for c in seen if c.__module__.split(".")[0] in {
        "kernel", "complaints", "notifications", "sla", "intake", "workspace", "followup",
        "desk", "reports"} and getattr(getattr(c, "Meta", None), "model", None)]


def test_every_read_only_relation_that_may_be_empty_allows_null(schema):
    """The class: any output field showing a nullable foreign key must say it can be null."""
    assert ComplaintOutput in _model_serializers()
    missing = []
    for cls in _model_serializers():
        model = cls.Meta.model
        try:
            fields = cls().fields
        except Exception:  # noqa: BLE001 - a serializer that needs arguments is not an output
            continue
        for name, field in fields.items():
            if not isinstance(field, serializers.RelatedField) or not field.read_only:
                continue
            model_fields = {f.name: f for f in model._meta.get_fields()}
            model_field = model_fields.get(field.source)
            if model_field is not None and getattr(model_field, "null", False) \
                    and not field.allow_null:
                missing.append(f"{cls.__module__}.{cls.__name__}.{name}")
    assert missing == []
