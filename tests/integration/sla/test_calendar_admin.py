"""Maintaining deadline settings: official calendar data, admins' corrections, the December
check, the load command, and the staff pages for policies and calendars (/settings/sla/)."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.core.management import CommandError, call_command
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from kernel.errors import NotAllowed
from kernel.periodic import SCHEDULES, register_periodic_tasks
from notifications.models import Notification
from sla import calendar_services, holidays, services, tasks
from sla.calendar import is_working_day
from sla.config_selectors import unverified_deadlines
from sla.models import (
    BusinessCalendar,
    CalendarDay,
    CalendarYear,
    Clock,
    Metric,
    SlaPolicy,
)
from sla.selectors import work_calendars
from tests.factories import StaffFactory, category, make_complaint

from .conftest import local

pytestmark = pytest.mark.django_db

PACKAGE = holidays.package_source()
MONDAY = local(2026, 11, 23, 10, 0)


def forget_year(year: int) -> None:
    """As if the package had not published `year` yet."""
    CalendarDay.objects.filter(date__year=year).delete()
    CalendarYear.objects.filter(year=year).delete()


def days_of(year: int) -> dict[date, tuple[bool, str, str]]:
    return {d.date: (d.is_workday, d.name, d.source)
            for d in CalendarDay.objects.filter(date__year=year)}


def standard_calendar():
    cal_id = BusinessCalendar.objects.get(code="standard").pk
    return work_calendars()[cal_id]


def due(complaint, metric: str):
    return Clock.objects.get(complaint=complaint, metric=metric, cycle=1)


# --- loading the official data ---------------------------------------------------------------


def test_loading_fills_a_missing_year_and_marks_it_known():
    forget_year(2026)
    result = calendar_services.calendar_load_official(years=[2026])
    counts = result["years"][2026]
    assert (counts["holidays"], counts["workdays"], counts["created"]) == (33, 6, 39)
    got = days_of(2026)
    assert got[date(2026, 2, 17)] == (False, "春节", PACKAGE)
    assert got[date(2026, 10, 10)] == (True, "国庆节调休上班", PACKAGE)
    assert CalendarYear.objects.get(year=2026).source == PACKAGE
    cal = standard_calendar()
    assert not is_working_day(date(2026, 10, 1), cal)
    assert is_working_day(date(2026, 2, 14), cal)  # a Saturday worked (调休)


def test_loading_again_changes_nothing_and_keeps_what_an_admin_entered(administrator):
    # An administrator overrules the package for 10-07 and adds a company day off.
    calendar_services.calendar_day_set(actor=administrator, date=date(2026, 10, 7),
                                       is_workday=True, name="公司安排上班")
    calendar_services.calendar_day_set(actor=administrator, date=date(2026, 12, 31),
                                       is_workday=False, name="年终盘点")
    # A stale row from an older package release, and a package row someone renamed.
    CalendarDay.objects.create(date=date(2026, 8, 10), is_workday=False, name="旧数据",
                               source="chinesecalendar 1.9.0")
    CalendarDay.objects.filter(date=date(2026, 5, 1)).update(name="改过的名字")

    first = calendar_services.calendar_load_official(years=[2026])["years"][2026]
    assert (first["kept_admin"], first["updated"], first["removed"]) == (1, 1, 1)
    after_first = days_of(2026)
    second = calendar_services.calendar_load_official(years=[2026])["years"][2026]
    assert (second["created"], second["updated"], second["removed"]) == (0, 0, 0)
    assert days_of(2026) == after_first

    assert after_first[date(2026, 10, 7)] == (True, "公司安排上班", "admin")
    assert after_first[date(2026, 12, 31)] == (False, "年终盘点", "admin")
    assert after_first[date(2026, 5, 1)] == (False, "劳动节", PACKAGE)
    assert date(2026, 8, 10) not in after_first
    cal = standard_calendar()
    assert is_working_day(date(2026, 10, 7), cal) and not is_working_day(date(2026, 12, 31), cal)


def test_a_year_the_package_does_not_know_is_refused_and_nothing_is_written():
    unknown = holidays.official_years()[-1] + 1
    CalendarDay.objects.filter(date=date(2026, 5, 1)).update(name="改过的名字")
    with pytest.raises(calendar_services.UnknownCalendarYear) as refused:
        calendar_services.calendar_load_official(years=[2026, unknown])
    assert str(unknown) in refused.value.message
    assert f"2004–{unknown - 1}" in refused.value.message
    assert not CalendarYear.objects.filter(year=unknown).exists()
    assert not CalendarDay.objects.filter(date__year=unknown).exists()
    assert CalendarDay.objects.get(date=date(2026, 5, 1)).name == "改过的名字"  # not reloaded


def test_an_administrator_enters_a_new_year_by_hand_and_deadlines_become_verified(
        administrator, supervisor):
    forget_year(2027)
    long_works = SlaPolicy.objects.create(
        name="长期工程", channel="letter", calendar=BusinessCalendar.objects.get(code="standard"))
    long_works.targets.create(metric=Metric.RESOLUTION, amount=40, unit="working_days")

    before = make_complaint(received_at=MONDAY, channel="letter")
    services.clocks_start(complaint_id=before.id)
    # 40 working days from Monday 11-23 reach into January 2027, which is unknown.
    assert due(before, Metric.RESOLUTION).due_at == local(2027, 1, 18, 10, 0)
    assert not due(before, Metric.RESOLUTION).due_verified

    calendar_services.calendar_day_set(actor=supervisor, date=date(2027, 1, 1),
                                       is_workday=False, name="元旦")
    with pytest.raises(NotAllowed):  # supervisors enter days; administrators vouch for years
        calendar_services.calendar_year_mark_verified(actor=supervisor, year=2027)
    calendar_services.calendar_year_mark_verified(actor=administrator, year=2027)
    assert CalendarYear.objects.get(year=2027).source == "admin"

    after = make_complaint(received_at=MONDAY, channel="letter")
    services.clocks_start(complaint_id=after.id)
    clock = due(after, Metric.RESOLUTION)
    assert clock.due_verified
    assert clock.due_at == local(2027, 1, 19, 10, 0)  # New Year's Day now skipped
    assert LogEntry.objects.filter(user=administrator, object_repr="2027").exists()


def test_marking_a_year_verified_needs_its_days_entered(administrator):
    forget_year(2027)
    with translation.override("en"), pytest.raises(calendar_services.InvalidInput,
                                                   match="No special days"):
        calendar_services.calendar_year_mark_verified(actor=administrator, year=2027)
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_the_load_command_prints_what_it_loaded():
    forget_year(2025)
    out = StringIO()
    call_command("sla_load_holidays", "--year", "2025", "--year", "2026", stdout=out)
    text = out.getvalue()
    assert f"Source: {PACKAGE}" in text
    assert "2025: 28 days off, 5 make-up working days (added 33," in text
    assert "2026: 33 days off, 6 make-up working days (added 0, updated 0, unchanged 39," in text
    assert CalendarYear.objects.filter(year=2025).exists()


def test_the_load_command_refuses_an_unknown_year():
    unknown = holidays.official_years()[-1] + 1
    with pytest.raises(CommandError, match=str(unknown)):
        call_command("sla_load_holidays", "--year", str(unknown), stdout=StringIO())
    assert not CalendarYear.objects.filter(year=unknown).exists()


# --- the December check ----------------------------------------------------------------------


@pytest.fixture
def people(roles, administrator, supervisor, agent):
    administrator.email = "zhao@example.com"
    administrator.save()
    root = StaffFactory(username="root", email="root@example.com", is_superuser=True)
    supervisor.email = "wang@example.com"
    supervisor.save()
    return {"administrator": administrator, "root": root, "supervisor": supervisor,
            "agent": agent}


def test_december_check_alerts_administrators_once_a_day_while_next_year_is_missing(
        people, mailoutbox, committed):
    forget_year(2027)

    def check(day):
        return committed(calendar_services.calendar_check_next_year, today=day)

    assert check(date(2026, 11, 30)) is False
    assert not Notification.objects.exists() and not mailoutbox

    assert check(date(2026, 12, 1)) is True
    alerts = Notification.objects.filter(kind="calendar_missing").all
    assert {n.recipient.username for n in alerts()} == {"admin_zhao", "root"}
    assert all("2027" in n.message for n in alerts())
    assert sorted(m.to[0] for m in mailoutbox) == ["root@example.com", "zhao@example.com"]
    assert "2027" in mailoutbox[0].subject and "sla_load_holidays" in mailoutbox[0].body

    assert check(date(2026, 12, 1)) is False  # a second run the same day
    assert alerts().count() == 2 and len(mailoutbox) == 2

    assert check(date(2026, 12, 2)) is True  # still missing the next day: remind again
    assert alerts().count() == 4

    calendar_services.calendar_load_official(years=[2026])  # unrelated reload
    CalendarYear.objects.create(year=2027, source="admin")
    assert check(date(2026, 12, 3)) is False
    assert alerts().count() == 4 and len(mailoutbox) == 4


def test_the_check_runs_daily_through_celery_beat(db):
    schedule = next(s for s in SCHEDULES if s.task == tasks.check_calendar_next_year.name)
    assert schedule.every_seconds == 86400
    register_periodic_tasks()
    from django_celery_beat.models import PeriodicTask

    assert PeriodicTask.objects.get(name=schedule.name).task == "sla.check_calendar_next_year"


# --- staff pages: permissions ----------------------------------------------------------------


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def config_urls():
    default = SlaPolicy.objects.get(name="默认时限 Default")
    standard = BusinessCalendar.objects.get(code="standard")
    return [reverse("sla_config:policies"), reverse("sla_config:policy-create"),
            reverse("sla_config:policy-edit", args=[default.pk]),
            reverse("sla_config:calendars"),
            reverse("sla_config:calendar-hours", args=[standard.pk]),
            reverse("sla_config:days", args=[2026]),
            reverse("sla_config:day-edit", args=[date(2026, 10, 1)])]


def test_settings_pages_are_for_supervisors(client, agent, supervisor):
    urls = config_urls()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    client.force_login(agent)
    assert [client.get(url).status_code for url in urls] == [403] * len(urls)
    assert "/settings/sla/" not in client.get("/").content.decode()
    client.force_login(supervisor)
    assert [client.get(url).status_code for url in urls] == [200] * len(urls)
    assert reverse("sla_config:policies") in client.get("/").content.decode()  # nav link


def test_posts_are_refused_to_agents_and_write_nothing(client, agent):
    client.force_login(agent)
    count = SlaPolicy.objects.count()
    assert client.post(reverse("sla_config:policy-create"), policy_form()).status_code == 403
    assert client.post(reverse("sla_config:year-load", args=[2026])).status_code == 403
    assert client.post(reverse("sla_config:day-delete",
                               args=[date(2026, 10, 1)])).status_code == 403
    assert SlaPolicy.objects.count() == count
    assert CalendarDay.objects.filter(date=date(2026, 10, 1)).exists()


# --- staff pages: policies -------------------------------------------------------------------


def policy_form(targets=None, **fields) -> dict:
    """POST data of the policy form: one row per metric, blank amount = not set."""
    data = {"name": "宽带网络 Broadband", "priority": "", "category": "", "channel": "",
            "customer_tier": "",
            "calendar": str(BusinessCalendar.objects.get(code="standard").pk),
            "warning_percent": "75", "breach_level": "1", "escalation_step_hours": "9",
            "is_active": "on"}
    data.update(fields)
    targets = targets or {}
    metrics = list(Metric.values) if isinstance(targets, dict) else [m for m, _a, _u in targets]
    rows = ([(m, *targets.get(m, ("", "working_days"))) for m in metrics]
            if isinstance(targets, dict) else targets)
    data.update({"targets-TOTAL_FORMS": str(len(rows)), "targets-INITIAL_FORMS": str(len(rows)),
                 "targets-MIN_NUM_FORMS": "0", "targets-MAX_NUM_FORMS": "20"})
    for i, (metric, amount, unit) in enumerate(rows):
        data.update({f"targets-{i}-metric": metric, f"targets-{i}-amount": amount,
                     f"targets-{i}-unit": unit})
    return data


def test_a_supervisor_creates_a_policy_and_new_deadlines_use_it(english, supervisor):
    english.force_login(supervisor)
    network = category("network")
    response = english.post(reverse("sla_config:policy-create"), policy_form(
        category=str(network.pk), targets={"resolution": ("2", "working_days"),
                                           "first_response": ("6", "working_hours")}),
        follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Policy “宽带网络 Broadband” saved" in page
    assert "2 working days" in page and "6 working hours" in page

    policy = SlaPolicy.objects.get(name="宽带网络 Broadband")
    assert policy.category == network
    assert {t.metric: (t.amount, t.unit) for t in policy.targets.all()} == {
        "resolution": (Decimal(2), "working_days"),
        "first_response": (Decimal(6), "working_hours")}
    assert LogEntry.objects.filter(user=supervisor, object_id=str(policy.pk)).exists()

    # A child category matches through its parent; other metrics stay with the default.
    complaint = make_complaint(received_at=MONDAY, category=category("network-broadband"))
    services.clocks_start(complaint_id=complaint.id)
    assert due(complaint, Metric.RESOLUTION).due_at == local(2026, 11, 25, 10, 0)
    assert due(complaint, Metric.FIRST_RESPONSE).due_at == local(2026, 11, 23, 16, 0)
    assert due(complaint, Metric.ACKNOWLEDGE).due_at == local(2026, 11, 24, 10, 0)


def test_editing_a_target_changes_the_deadlines_of_new_complaints(english, supervisor):
    english.force_login(supervisor)
    urgent = SlaPolicy.objects.get(name="紧急投诉 Urgent")
    response = english.post(reverse("sla_config:policy-edit", args=[urgent.pk]), policy_form(
        name=urgent.name, priority="urgent", targets={
            "first_response": ("4", "working_hours"), "progress_update": ("1", "working_days"),
            "resolution": ("2", "working_days")}))
    assert response.status_code == 302
    complaint = make_complaint(received_at=MONDAY, priority="urgent")
    services.clocks_start(complaint_id=complaint.id)
    assert due(complaint, Metric.RESOLUTION).due_at == local(2026, 11, 25, 10, 0)
    entry = LogEntry.objects.get(user=supervisor, object_id=str(urgent.pk))
    assert "3 working days → 2 working days" in entry.change_message


def assert_refused(response, message: str, before: int):
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was saved" in page and message in page, page
    assert SlaPolicy.objects.count() == before
    assert not LogEntry.objects.exists()


@pytest.mark.parametrize(("fields", "message"), [
    ({"warning_percent": "150"}, "The warning must come at 1 to 99 percent of the allowed time."),
    ({"warning_percent": "0"}, "The warning must come at 1 to 99 percent of the allowed time."),
    ({"escalation_step_hours": "0"}, "The next level comes after more than 0"),
    ({"name": " "}, "This field is required."),
    # Exactly the same match fields as an active policy: refused, naming it.
    ({"priority": "urgent"}, "The active policy “紧急投诉 Urgent” already matches exactly"),
    ({}, "The active policy “默认时限 Default” already matches exactly"),
])
def test_bad_policy_input_is_refused_with_a_message(english, supervisor, fields, message):
    english.force_login(supervisor)
    before = SlaPolicy.objects.count()
    response = english.post(reverse("sla_config:policy-create"), policy_form(
        targets={"resolution": ("2", "working_days")}, **fields))
    assert_refused(response, message, before)


def test_bad_targets_are_refused_with_a_message(english, supervisor):
    english.force_login(supervisor)
    before = SlaPolicy.objects.count()
    url = reverse("sla_config:policy-create")
    twice = policy_form(targets=[("resolution", "2", "working_days"),
                                 ("resolution", "3", "working_days")], channel="web")
    assert_refused(english.post(url, twice), "Resolution is set twice", before)
    none = policy_form(channel="web")
    assert_refused(english.post(url, none), "Set the time allowed for at least one metric",
                   before)
    negative = policy_form(channel="web", targets={"resolution": ("-1", "working_days")})
    assert_refused(english.post(url, negative), "Resolution: the time allowed must be more than 0",
                   before)


def test_the_default_policy_must_keep_every_metric(english, supervisor):
    english.force_login(supervisor)
    default = SlaPolicy.objects.get(name="默认时限 Default")
    without_exposure = policy_form(name=default.name, targets={
        "acknowledge": ("1", "working_days"), "resolution": ("5", "working_days")})
    response = english.post(reverse("sla_config:policy-edit", args=[default.pk]),
                            without_exposure)
    assert_refused(response, "Missing: First response, Progress update", SlaPolicy.objects.count())
    assert default.targets.count() == 6

    response = english.post(reverse("sla_config:policy-deactivate", args=[default.pk]),
                            follow=True)
    assert "must set the time allowed for every metric" in response.content.decode()
    default.refresh_from_db()
    assert default.is_active


def test_deactivating_a_policy_stops_it_matching(english, supervisor):
    english.force_login(supervisor)
    urgent = SlaPolicy.objects.get(name="紧急投诉 Urgent")
    response = english.post(reverse("sla_config:policy-deactivate", args=[urgent.pk]),
                            follow=True)
    assert "Policy “紧急投诉 Urgent” deactivated" in response.content.decode()
    complaint = make_complaint(received_at=MONDAY, priority="urgent")
    services.clocks_start(complaint_id=complaint.id)
    assert due(complaint, Metric.RESOLUTION).due_at == local(2026, 11, 30, 10, 0)  # default 5
    # Another catch-all-priority policy can now take the freed match.
    response = english.post(reverse("sla_config:policy-create"), policy_form(
        name="紧急 2", priority="urgent", targets={"resolution": ("1", "working_days")}))
    assert response.status_code == 302


# --- staff pages: calendars ------------------------------------------------------------------


def hours_form(weekday: str, saturday: str = "", makeup: str = "0") -> dict:
    data = {f"day{d}": weekday for d in range(5)}
    data.update({"day5": saturday, "day6": "", "makeup_weekday": makeup})
    return data


def test_editing_working_hours_moves_new_deadlines(english, supervisor):
    english.force_login(supervisor)
    standard = BusinessCalendar.objects.get(code="standard")
    url = reverse("sla_config:calendar-hours", args=[standard.pk])
    page = english.get(url).content.decode()
    assert 'value="08:30-17:30"' in page

    response = english.post(url, hours_form("08:30-12:00, 13:30-17:30"), follow=True)
    assert "Working hours of “工作日 08:30–17:30” saved" in response.content.decode()
    standard.refresh_from_db()
    assert standard.hours["0"] == [["08:30", "12:00"], ["13:30", "17:30"]]
    assert standard.hours["5"] == []
    # Urgent first response, 4 working hours from Monday 10:00: 2 h before lunch, 2 h after.
    complaint = make_complaint(received_at=MONDAY, priority="urgent")
    services.clocks_start(complaint_id=complaint.id)
    assert due(complaint, Metric.FIRST_RESPONSE).due_at == local(2026, 11, 23, 15, 30)


@pytest.mark.parametrize(("weekday", "makeup", "message"), [
    ("08:30-25:00", "0", "“08:30-25:00” is not a time range like 08:30-17:30."),
    ("17:30-08:30", "0", "In “17:30-08:30” the end must be after the start."),
    ("08:30-12:00, 11:00-17:30", "0", "The ranges must be in order and must not overlap."),
    ("08:30-17:30", "6", "Make-up working days use the hours of a weekday that has working"),
    ("", "0", "A calendar needs working hours on at least one weekday."),
])
def test_bad_working_hours_are_refused(english, supervisor, weekday, makeup, message):
    english.force_login(supervisor)
    standard = BusinessCalendar.objects.get(code="standard")
    before = dict(standard.hours)
    response = english.post(reverse("sla_config:calendar-hours", args=[standard.pk]),
                            hours_form(weekday, makeup=makeup))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was saved" in page and message in page
    standard.refresh_from_db()
    assert standard.hours == before


def test_a_supervisor_adds_edits_and_deletes_special_days(english, supervisor):
    english.force_login(supervisor)
    days_url = reverse("sla_config:days", args=[2026])
    response = english.post(days_url, {"date": "2026-12-31", "is_workday": "0",
                                       "name": "年终盘点"}, follow=True)
    page = response.content.decode()
    assert "2026-12-31 saved" in page and "年终盘点" in page and "Entered by hand" in page
    assert CalendarDay.objects.get(date=date(2026, 12, 31)).source == "admin"

    edit_url = reverse("sla_config:day-edit", args=[date(2026, 10, 10)])
    english.post(edit_url, {"is_workday": "0", "name": "国庆节（公司调整）"})
    assert days_of(2026)[date(2026, 10, 10)] == (False, "国庆节（公司调整）", "admin")

    missing_name = english.post(days_url, {"date": "2026-12-30", "is_workday": "0", "name": ""})
    assert missing_name.status_code == 200
    assert not CalendarDay.objects.filter(date=date(2026, 12, 30)).exists()

    english.post(reverse("sla_config:day-delete", args=[date(2026, 12, 31)]))
    assert not CalendarDay.objects.filter(date=date(2026, 12, 31)).exists()
    assert not is_working_day(date(2026, 10, 10), standard_calendar())


def test_the_load_button_restores_official_days_and_reports(english, supervisor):
    english.force_login(supervisor)
    CalendarDay.objects.filter(date=date(2026, 10, 1)).delete()
    response = english.post(reverse("sla_config:year-load", args=[2026]), follow=True)
    page = response.content.decode()
    assert "Loaded 2026 from" in page and "33 days off and 6 make-up working days" in page
    assert "(1 added," in page
    assert CalendarDay.objects.filter(date=date(2026, 10, 1)).exists()
    unknown = holidays.official_years()[-1] + 1
    response = english.post(reverse("sla_config:year-load", args=[unknown]), follow=True)
    assert "has no official data for" in response.content.decode()


def test_calendar_page_warns_when_next_year_is_missing(english, supervisor, monkeypatch):
    english.force_login(supervisor)
    forget_year(2027)
    url = reverse("sla_config:calendars")
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: date(2026, 11, 30))
    assert "are not loaded" not in english.get(url).content.decode()
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: date(2026, 12, 1))
    page = english.get(url).content.decode()
    assert "The official days off and make-up working days for 2027 are not loaded." in page
    assert reverse("sla_config:days", args=[2027]) in page


def test_the_unverified_warning_names_the_year_and_the_deadline(supervisor, rf):
    forget_year(2027)
    policy = SlaPolicy.objects.create(
        name="长期工程", channel="letter", calendar=BusinessCalendar.objects.get(code="standard"))
    policy.targets.create(metric=Metric.RESOLUTION, amount=40, unit="working_days")
    complaint = make_complaint(received_at=MONDAY, channel="letter")
    services.clocks_start(complaint_id=complaint.id)
    clocks = list(Clock.objects.filter(complaint=complaint))

    context = unverified_deadlines(clocks)
    assert context["sla_unverified"].years == [2027]
    assert [c.metric for c in context["sla_unverified"].clocks] == [Metric.RESOLUTION]
    request = rf.get("/")
    request.user = supervisor
    with translation.override("en"):
        html = render_to_string("sla/_unverified_warning.html", context, request=request)
        mark = render_to_string("sla/_unverified_warning.html",
                                {"clock": context["sla_unverified"].clocks[0]})
    assert "Deadline not verified" in html and "2027" in html and "2027-01-18 10:00" in html
    assert reverse("sla_config:days", args=[2027]) in html
    assert "unverified" in mark
    assert unverified_deadlines([c for c in clocks if c.due_verified]) == {
        "sla_unverified": None}


def test_days_page_lists_a_years_days_with_their_kind(english, supervisor):
    english.force_login(supervisor)
    page = english.get(reverse("sla_config:days", args=[2026])).content.decode()
    assert "Official data loaded." in page
    assert page.count('class="cfg-kind cfg-kind-off"') == 33
    assert page.count('class="cfg-kind cfg-kind-work"') == 6
    assert "国庆节调休上班" in page
    # Supervisors may load, only administrators may vouch for a year typed in by hand.
    page_2027 = english.get(reverse("sla_config:days", args=[2099])).content.decode()
    assert "an administrator then marks the year verified" in page_2027


# --- Django admin ------------------------------------------------------------------------------


def test_the_admin_lists_every_sla_model_with_search_and_filters(admin_client):
    for model in ("businesscalendar", "calendarday", "calendaryear", "slapolicy", "clock",
                  "slaevent", "escalation"):
        response = admin_client.get(reverse(f"admin:sla_{model}_changelist"), {"q": "2026"})
        assert response.status_code == 200, model
    page = admin_client.get(reverse("admin:sla_calendarday_changelist"),
                            {"q": "国庆", "is_workday__exact": "1"}).content.decode()
    assert "国庆节调休上班" in page and "劳动节" not in page
    # Clocks and events are written by the deadline services only.
    assert admin_client.get(reverse("admin:sla_clock_add")).status_code == 403


def test_an_admin_edit_of_a_day_survives_the_next_official_load(admin_client):
    day = CalendarDay.objects.get(date=date(2026, 10, 7))
    response = admin_client.post(reverse("admin:sla_calendarday_change", args=[day.pk]),
                                 {"date": "2026-10-07", "is_workday": "on", "name": "公司上班"})
    assert response.status_code == 302
    calendar_services.calendar_load_official(years=[2026])
    assert days_of(2026)[date(2026, 10, 7)] == (True, "公司上班", "admin")


def test_the_admin_refuses_a_second_policy_for_the_same_complaints(admin_client):
    before = SlaPolicy.objects.count()
    standard = BusinessCalendar.objects.get(code="standard")
    with translation.override("en"):
        response = admin_client.post(reverse("admin:sla_slapolicy_add"), {
            "name": "又一个紧急", "priority": "urgent", "calendar": standard.pk,
            "warning_percent": 75, "breach_level": 1, "escalation_step_hours": 9,
            "is_active": "on", "targets-TOTAL_FORMS": 1, "targets-INITIAL_FORMS": 0,
            "targets-MIN_NUM_FORMS": 0, "targets-MAX_NUM_FORMS": 6,
            "targets-0-metric": "resolution", "targets-0-amount": "2",
            "targets-0-unit": "working_days"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "“紧急投诉 Urgent” already matches exactly" in response.content.decode()
    assert SlaPolicy.objects.count() == before


def test_the_policy_list_does_not_query_per_policy(client, supervisor,
                                                   django_assert_max_num_queries):
    client.force_login(supervisor)
    standard = BusinessCalendar.objects.get(code="standard")
    for channel in ("web", "email", "sms", "wechat", "app", "store", "letter"):
        policy = SlaPolicy.objects.create(name=f"渠道 {channel}", channel=channel,
                                          calendar=standard, category=category("network"))
        policy.targets.create(metric=Metric.RESOLUTION, amount=2, unit="working_days")
    with django_assert_max_num_queries(8):
        page = client.get(reverse("sla_config:policies")).content.decode()
    assert page.count('<tr id="policy-') == SlaPolicy.objects.count() == 12
