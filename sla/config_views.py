"""Staff pages for deadline settings: SLA policies and business calendars (/settings/sla/).

Views parse the form, call one service, and show its refusal next to the input it concerns.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kernel.errors import InvalidInput
from kernel.permissions import staff_permission

from . import calendar_services, config_selectors, policy_services
from .forms import (
    WEEKDAY_NAMES,
    CalendarDayForm,
    PolicyForm,
    TargetFormSet,
    WorkingHoursForm,
    policy_input,
    target_initial,
)
from .models import BusinessCalendar, CalendarDay, SlaPolicy

FIRST_YEAR, LAST_YEAR = 2000, 2100


def index(request):
    return redirect("sla_config:policies")


# --- policies --------------------------------------------------------------------------------


@staff_permission("sla.change_slapolicy")
def policy_list(request):
    return render(request, "sla/config/policies.html", {
        "tab": "policies", "rows": config_selectors.policy_rows(),
        "metrics": config_selectors.metric_labels(),
        "can_add": request.user.has_perm("sla.add_slapolicy")})


@staff_permission("sla.add_slapolicy")
def policy_create(request):
    return _policy_form(request, None)


@staff_permission("sla.change_slapolicy")
def policy_edit(request, pk: int):
    try:
        policy = config_selectors.policy_for_edit(pk)
    except SlaPolicy.DoesNotExist as exc:
        raise Http404 from exc
    return _policy_form(request, policy)


def _policy_form(request, policy):
    choices = config_selectors.category_choices(keep=policy.category_id if policy else None)
    target_errors = []
    if request.method == "POST":
        form = PolicyForm(request.POST, category_choices=choices)
        formset = TargetFormSet(request.POST, prefix="targets")
        if form.is_valid() and formset.is_valid():
            data = policy_input(form, formset)
            try:
                if policy is None:
                    saved = policy_services.sla_policy_create(actor=request.user, data=data)
                else:
                    saved = policy_services.sla_policy_update(actor=request.user,
                                                              policy_id=policy.pk, data=data)
            except policy_services.PolicyInvalid as exc:
                for field, message in exc.errors:
                    if field == "targets":
                        target_errors.append(message)
                    else:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, _("Policy “%(name)s” saved. It applies to deadlines "
                                            "started from now on.") % {"name": saved.name})
                return redirect(f"{reverse('sla_config:policies')}#policy-{saved.pk}")
    elif policy is None:
        form = PolicyForm(category_choices=choices, initial={
            "warning_percent": 75, "breach_level": 1, "escalation_step_hours": 9,
            "is_active": True,
            "calendar": BusinessCalendar.objects.filter(code="standard").first()})
        formset = TargetFormSet(prefix="targets", initial=target_initial())
    else:
        form = PolicyForm(category_choices=choices, initial={
            "name": policy.name, "priority": policy.priority, "category": policy.category_id,
            "channel": policy.channel, "customer_tier": policy.customer_tier,
            "calendar": policy.calendar, "warning_percent": policy.warning_percent,
            "breach_level": policy.breach_level,
            "escalation_step_hours": policy_services.format_amount(
                policy.escalation_step_hours),
            "is_active": policy.is_active})
        formset = TargetFormSet(prefix="targets", initial=target_initial(
            {t.metric: (t.amount, t.unit) for t in policy.targets.all()}))
    return render(request, "sla/config/policy_form.html", {
        "tab": "policies", "policy": policy, "form": form, "formset": formset,
        "target_errors": target_errors + list(formset.non_form_errors())})


@require_POST
@staff_permission("sla.change_slapolicy")
def policy_deactivate(request, pk: int):
    policy = get_object_or_404(SlaPolicy, pk=pk)
    try:
        policy_services.sla_policy_deactivate(actor=request.user, policy_id=pk)
    except InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Policy “%(name)s” deactivated. Running deadlines keep "
                                    "their due times.") % {"name": policy.name})
    return redirect("sla_config:policies")


# --- calendars -------------------------------------------------------------------------------


@staff_permission("sla.change_businesscalendar")
def calendar_list(request):
    return render(request, "sla/config/calendars.html", {
        "tab": "calendars", "calendars": config_selectors.calendar_rows(),
        "overview": config_selectors.calendar_overview(),
        "weekdays": WEEKDAY_NAMES})


@staff_permission("sla.change_businesscalendar")
def calendar_hours(request, pk: int):
    calendar = get_object_or_404(BusinessCalendar, pk=pk)
    if calendar.always_open:
        messages.info(request, _("“%(name)s” is open around the clock; it has no hours to "
                                 "edit.") % {"name": calendar.name})
        return redirect("sla_config:calendars")
    form = WorkingHoursForm(request.POST or None, calendar=calendar)
    if request.method == "POST" and form.is_valid():
        try:
            calendar_services.business_calendar_set_hours(
                actor=request.user, calendar_id=calendar.pk, hours=form.cleaned_data["hours"],
                makeup_weekday=form.cleaned_data["makeup_weekday"])
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Working hours of “%(name)s” saved. They apply to "
                                        "deadlines started from now on.") % {
                "name": calendar.name})
            return redirect("sla_config:calendars")
    return render(request, "sla/config/calendar_hours.html", {
        "tab": "calendars", "calendar": calendar, "form": form})


def _year(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404
    return year


@staff_permission("sla.change_calendarday")
def calendar_days(request, year: int):
    year = _year(year)
    form = CalendarDayForm(request.POST or None,
                           initial={"date": _first_open_date(year), "is_workday": "0"})
    if request.method == "POST" and form.is_valid():
        day = form.cleaned_data["date"]
        if _save_day(request, form, day):
            return redirect("sla_config:days", year=day.year)
    return _days_page(request, year, form)


def _days_page(request, year, form, editing: CalendarDay | None = None):
    overview = config_selectors.calendar_overview()
    return render(request, "sla/config/days.html", {
        "tab": "calendars", "year": year, "form": form, "editing": editing,
        "status": config_selectors.year_status(year),
        "days": config_selectors.calendar_days(year),
        "years": sorted({s.year for s in overview.years} | {year}, reverse=True),
        "missing": overview.missing,
        "package_source": overview.package_source,
        "can_load": request.user.has_perms(["sla.add_calendarday", "sla.change_calendarday"]),
        "can_verify": request.user.has_perm("sla.add_calendaryear")})


def _first_open_date(year: int) -> date:
    today = timezone.localdate()
    return today if today.year == year else date(year, 1, 1)


def _save_day(request, form, day: date) -> bool:
    try:
        calendar_services.calendar_day_set(
            actor=request.user, date=day, is_workday=form.cleaned_data["is_workday"],
            name=form.cleaned_data["name"])
    except InvalidInput as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return False
    messages.success(request, _("%(date)s saved. Deadlines started from now on use it.") % {
        "date": day.isoformat()})
    return True


@staff_permission("sla.change_calendarday")
def calendar_day_edit(request, day: date):
    existing = get_object_or_404(CalendarDay, date=day)
    form = CalendarDayForm(request.POST or None, initial={
        "date": day, "is_workday": "1" if existing.is_workday else "0", "name": existing.name})
    form.fields["date"].disabled = True
    if request.method == "POST" and form.is_valid() and _save_day(request, form, day):
        return redirect("sla_config:days", year=day.year)
    return _days_page(request, day.year, form, editing=existing)


@require_POST
@staff_permission("sla.delete_calendarday")
def calendar_day_delete(request, day: date):
    try:
        calendar_services.calendar_day_delete(actor=request.user, date=day)
    except InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(date)s is an ordinary day again.") % {
            "date": day.isoformat()})
    return redirect("sla_config:days", year=day.year)


@require_POST
@staff_permission("sla.add_calendarday", "sla.change_calendarday")
def calendar_year_load(request, year: int):
    year = _year(year)
    try:
        result = calendar_services.calendar_load_official(years=[year])
    except InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        counts = result["years"][year]
        messages.success(request, _(
            "Loaded %(year)s from %(source)s: %(holidays)s days off and %(workdays)s make-up "
            "working days (%(created)s added, %(updated)s updated, %(removed)s removed, "
            "%(kept)s entered by hand kept).") % {
            "year": year, "source": result["source"], "holidays": counts["holidays"],
            "workdays": counts["workdays"], "created": counts["created"],
            "updated": counts["updated"], "removed": counts["removed"],
            "kept": counts["kept_admin"]})
    return redirect("sla_config:days", year=year)


@require_POST
@staff_permission("sla.add_calendaryear")
def calendar_year_verify(request, year: int):
    year = _year(year)
    try:
        calendar_services.calendar_year_mark_verified(actor=request.user, year=year)
    except InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(year)s is marked verified: deadlines in it now count "
                                    "the days entered here.") % {"year": year})
    return redirect("sla_config:days", year=year)
