"""The dashboard, drill-down, API and exports as a supervisor uses them."""

import csv
import io
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from reports.filters import ReportFilter
from reports.selectors import dashboard

from .conftest import RANGE

pytestmark = pytest.mark.django_db
PARAMS = {"received_after": "2025-09-28", "received_before": "2025-10-10"}


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # headings asserted in English
    return client


def _links(figures):
    """Every (count, url) pair a figure offers."""
    out = []

    def walk(node):
        if isinstance(node, dict):
            for count_key, url_key in (("count", "url"), ("met", "met_url"),
                                       ("breached", "breached_url"),
                                       ("satisfied", "satisfied_url"),
                                       ("completed", "completed_url"), ("answered", "url"),
                                       ("tasks", "url"), ("transfers", "url"),
                                       ("total", "url")):
                if count_key in node and url_key in node:
                    out.append((node[count_key], node[url_key]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(figures)
    return out


def test_agents_may_not_see_reports(client, agent, dataset):
    client.force_login(agent)
    assert client.get(reverse("reports:dashboard"), PARAMS).status_code == 403
    assert client.get(reverse("reports:complaints"), PARAMS).status_code == 403


def test_dashboard_shows_the_figures_with_definitions(client, supervisor, dataset):
    client.force_login(supervisor)
    response = client.get(reverse("reports:dashboard"), PARAMS)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-figure="received">5<' in html
    assert 'data-figure="first_contact">50.0 %<' in html
    assert 'data-figure="external">40.0 %<' in html
    assert 'data-figure="per_million">0.5<' in html
    assert "echarts-5.6.0.min.js" in html and 'data-chart="received"' in html
    assert "百万用户申诉率" in html and "越级投诉率" in html  # the definitions are on the page


@pytest.mark.parametrize("narrow", [{}, {"department": "north"},
                                    {"channel": "phone", "category": "billing"}])
def test_every_figure_links_to_exactly_the_complaints_it_counted(client, supervisor, dataset,
                                                                 narrow):
    client.force_login(supervisor)
    links = _links(dashboard(ReportFilter(RANGE.received_after, RANGE.received_before,
                                          **narrow)))
    assert len(links) > 60
    for count, url in links:
        parts = urlsplit(url)
        response = client.get(parts.path + "?" + parts.query)
        assert response.status_code == 200, url
        assert response.context["page"].paginator.count == count, url


def test_drill_down_lists_the_right_complaints(client, supervisor, dataset):
    client.force_login(supervisor)
    response = client.get(reverse("reports:complaints"), {**PARAMS, "measure": "first_contact"})
    assert [c.reference for c in response.context["page"]] == [dataset.c1.reference]
    assert '<td class="num">21.0</td>' in response.content.decode()  # working hours
    assert "Received 2025-09-28 – 2025-10-10 · First-contact resolution" in \
        response.content.decode()
    response = client.get(reverse("reports:complaints"),
                          {**PARAMS, "metric": "resolution", "outcome": "breached"})
    assert {c.reference for c in response.context["page"]} == {dataset.c1.reference,
                                                             dataset.c3.reference}
    assert client.get(reverse("reports:complaints"),
                      {**PARAMS, "measure": "nonsense"}).status_code == 400


def test_bad_dates_are_refused_clearly(client, supervisor, dataset):
    client.force_login(supervisor)
    response = client.get(reverse("reports:dashboard"),
                          {"received_after": "2025-10-10", "received_before": "2025-09-28"})
    assert response.status_code == 400
    assert "The start date is after the end date." in response.content.decode()


def test_api_gives_the_page_figures(client_for, supervisor, agent, dataset):
    response = client_for(supervisor).get("/api/v1/reports/dashboard/", PARAMS)
    assert response.status_code == 200
    data = response.json()
    page = dashboard(RANGE)
    assert data["received"]["total"] == page["received"]["total"] == 5
    assert data["durations"] == page["durations"]
    assert data["rates"] == page["rates"]
    assert data["compliance"] == page["compliance"]
    assert client_for(agent).get("/api/v1/reports/dashboard/", PARAMS).status_code == 403
    perf = client_for(supervisor).get("/api/v1/reports/performance/", {**PARAMS, "by": "agent"})
    assert {r["name"]: r["resolved"] for r in perf.json()["rows"]}["周"] == 2
    bad = client_for(supervisor).get("/api/v1/reports/dashboard/",
                                     {"received_after": "not-a-date"})
    assert bad.status_code == 400


def test_report_table_as_csv_and_xlsx(client, supervisor, dataset):
    client.force_login(supervisor)
    response = client.get(reverse("reports:dashboard"),
                          {**PARAMS, "table": "compliance", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Deadline", "Met", "Breached", "Met (%)"]
    assert ["Resolution", "1", "2", "33.3"] in rows
    response = client.get(reverse("reports:dashboard"),
                          {**PARAMS, "table": "received", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0][0] == "Day" and values[0][-1] == "Total"
    assert sum(row[-1] for row in values[1:]) == 5
    response = client.get(reverse("reports:performance"),
                          {**PARAMS, "table": "agents", "format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "周,2,2,19.75,1,2,50.0,3.5" in text


def test_complaint_list_export_masks_personal_data(client, supervisor, dataset):
    client.force_login(supervisor)
    response = client.get(reverse("reports:complaints"), {**PARAMS, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert len(rows) == 6  # header + 5 complaints
    references = {r[0] for r in rows[1:]}
    assert dataset.c1.reference in references and dataset.outside.reference not in references
    phones = {r[8] for r in rows[1:]}
    assert all("****" in p for p in phones)
    c1 = next(r for r in rows if r[0] == dataset.c1.reference)
    assert c1[12] == 2 and c1[13] == 21  # working hours


def test_desk_list_export_uses_the_desk_filters(client, supervisor, dataset):
    client.force_login(supervisor)
    response = client.get(reverse("reports:desk-export"),
                          {"channel": "phone", "format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert {r[0] for r in rows} == {dataset.c1.reference, dataset.c4.reference,
                                    dataset.outside.reference}


def test_list_page_queries_do_not_grow_with_rows(client, supervisor, dataset,
                                                 django_assert_max_num_queries):
    client.force_login(supervisor)
    with django_assert_max_num_queries(12):
        client.get(reverse("reports:complaints"), PARAMS)
    with django_assert_max_num_queries(30):
        client.get(reverse("reports:dashboard"), PARAMS)
