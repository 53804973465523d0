"""Default business calendars, SLA policies after the handbook (../shared/domain.md), and the
official days off / make-up days for every year chinesecalendar knows."""

from decimal import Decimal

from django.db import migrations

STANDARD_HOURS = {str(d): [["08:30", "17:30"]] for d in range(5)} | {"5": [], "6": []}
AROUND_THE_CLOCK = {str(d): [["00:00", "00:00"]] for d in range(7)}

# name, match (priority, channel, tier), breach level, targets {metric: (amount, unit)}
POLICIES = [
    ("默认时限 Default", {}, 1, {
        "acknowledge": ("1", "working_days"),
        "first_response": ("1", "working_days"),
        "progress_update": ("2", "working_days"),
        "resolution": ("5", "working_days"),
        "multi_department_notice": ("5", "working_days"),
        "regulator_exposure": ("15", "calendar_days"),
    }),
    ("紧急投诉 Urgent", {"priority": "urgent"}, 1, {
        "first_response": ("4", "working_hours"),
        "progress_update": ("1", "working_days"),
        "resolution": ("3", "working_days"),
    }),
    ("重大投诉 Major", {"priority": "major"}, 2, {
        "acknowledge": ("2", "working_hours"),
        "first_response": ("2", "working_hours"),
        "progress_update": ("4", "working_hours"),
        "resolution": ("1", "working_days"),
    }),
    ("重要客户 VIP", {"customer_tier": "vip"}, 1, {
        "first_response": ("4", "working_hours"),
    }),
    ("监管转办 Regulator transfers", {"channel": "regulator"}, 2, {
        "acknowledge": ("4", "working_hours"),
        "first_response": ("1", "working_days"),
    }),
]


def seed(apps, schema_editor):
    from sla.holidays import official_days, official_years, package_source

    BusinessCalendar = apps.get_model("sla", "BusinessCalendar")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    SlaTarget = apps.get_model("sla", "SlaTarget")
    CalendarDay = apps.get_model("sla", "CalendarDay")
    CalendarYear = apps.get_model("sla", "CalendarYear")

    standard, _ = BusinessCalendar.objects.update_or_create(
        code="standard", defaults={"name": "工作日 08:30–17:30", "hours": STANDARD_HOURS})
    BusinessCalendar.objects.update_or_create(
        code="24x7", defaults={"name": "全天候 24×7", "hours": AROUND_THE_CLOCK,
                               "always_open": True})
    for name, match, breach_level, targets in POLICIES:
        policy, _ = SlaPolicy.objects.update_or_create(
            name=name, defaults={"calendar": standard, "breach_level": breach_level, **match})
        for metric, (amount, unit) in targets.items():
            SlaTarget.objects.update_or_create(
                policy=policy, metric=metric,
                defaults={"amount": Decimal(amount), "unit": unit})

    source = package_source()
    years = official_years()
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=d, is_workday=w, name=n, source=source)
         for d, w, n in official_days(years)],
        ignore_conflicts=True)
    CalendarYear.objects.bulk_create([CalendarYear(year=y, source=source) for y in years],
                                     ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial"), ("complaints", "0002_seed_categories")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
