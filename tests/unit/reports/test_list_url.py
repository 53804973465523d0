"""Drill-down links: the complaint list's path, with the figure's filters, under whatever
prefix the site is served (the path is reversed once per prefix, not once per link)."""

from datetime import date
from urllib.parse import parse_qs, urlsplit

from django.urls import get_script_prefix, set_script_prefix

from reports.filters import ReportFilter, list_url


def test_a_link_carries_the_filters_and_follows_the_script_prefix():
    report_filter = ReportFilter(received_after=date(2026, 9, 1),
                                 received_before=date(2026, 11, 30), channel="phone")
    before = get_script_prefix()
    try:
        set_script_prefix("/")
        plain = urlsplit(list_url(report_filter, status="open", category=""))
        set_script_prefix("/complaints/")
        prefixed = urlsplit(list_url(report_filter, status="open"))
    finally:
        set_script_prefix(before)
    assert prefixed.path == "/complaints" + plain.path
    query = parse_qs(plain.query)
    assert query["status"] == ["open"] and query["channel"] == ["phone"]
    assert "category" not in query  # empty extras are left out
    assert parse_qs(prefixed.query) == query
