"""Calendars, deadline policies and rules are kept in the process until their tables change
(kernel/settings_cache.py), however they change: a save, a bulk update, raw SQL; and a
change that rolls back is not kept. On SQLite and on PostgreSQL (CI), each with its triggers."""

from datetime import date

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from intake.models import Rule
from intake.selectors import enabled_rule_specs
from sla.calendar import is_working_day
from sla.models import SlaTarget
from sla.selectors import policy_rules, work_calendars

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("migration_seeds")]
NEW_HOLIDAY = date(2026, 12, 7)  # an ordinary Monday, made a holiday below


def resolution_hours() -> dict[int, int]:
    return {rule.id: rule.targets["resolution"].amount for rule in policy_rules()
            if "resolution" in rule.targets}


def reads(call) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        call()
    return [q["sql"] for q in captured.captured_queries]


def test_kept_between_reads_until_a_bulk_update_changes_the_table():
    before = resolution_hours()
    assert before
    # Kept: the second read only asks whether the tables changed.
    statements = reads(policy_rules)
    assert len(statements) == 1 and "complaints_settingsversion" in statements[0]
    # A bulk update sends no signal; the trigger still replaces the token.
    SlaTarget.objects.filter(metric="resolution").update(amount=99)
    assert set(resolution_hours().values()) == {99}


def test_a_holiday_added_with_raw_sql_counts_at_once():
    standard = [c for c in work_calendars().values() if not c.always_open]
    assert standard and all(is_working_day(NEW_HOLIDAY, c) for c in standard)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO sla_calendarday (date, is_workday, name, source) "
                       "VALUES (%s, %s, %s, %s)", [NEW_HOLIDAY, False, "测试假日", "manual"])
    standard = [c for c in work_calendars().values() if not c.always_open]
    assert not any(is_working_day(NEW_HOLIDAY, c) for c in standard)


def test_a_change_that_rolls_back_is_not_kept():
    before = resolution_hours()
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            SlaTarget.objects.filter(metric="resolution").update(amount=77)
            assert set(resolution_hours().values()) == {77}  # seen inside its transaction
            raise RuntimeError("rolled back")
    assert resolution_hours() == before


def test_a_rule_disabled_in_the_admin_stops_firing():
    names = {spec.name for spec in enabled_rule_specs()}
    rule = Rule.objects.filter(enabled=True).first()
    assert rule.name in names
    rule.enabled = False
    rule.save()
    assert rule.name not in {spec.name for spec in enabled_rule_specs()}
