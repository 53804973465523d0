"""Writes to SLA policies and their targets, as supervisors edit them in the staff UI.

Every rule lives in `_validate`, so the staff pages, the admin and any later API refuse the same
things with the same messages. A change applies to deadlines started afterwards; running clocks
keep their stored due time (they are recomputed only when the complaint itself changes).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from complaints.models import Category, Channel, CustomerTier, Priority
from kernel.errors import InvalidInput, NotAllowed

from .config_audit import audit
from .models import BusinessCalendar, DurationUnit, Metric, SlaPolicy, SlaTarget

MATCH_FIELDS = ("priority", "category_id", "channel", "customer_tier")
SETTINGS_FIELDS = ("name", *MATCH_FIELDS, "calendar_id", "warning_percent", "breach_level",
                   "escalation_step_hours", "is_active")
MAX_AMOUNT = Decimal("99999.99")
MAX_STEP_HOURS = Decimal("9999.99")


@dataclass(frozen=True)
class TargetInput:
    metric: str
    amount: Decimal
    unit: str


@dataclass(frozen=True)
class PolicyInput:
    name: str
    calendar_id: int
    priority: str = ""
    category_id: int | None = None
    channel: str = ""
    customer_tier: str = ""
    warning_percent: int = 75
    breach_level: int = 1
    escalation_step_hours: Decimal = Decimal(9)
    is_active: bool = True
    targets: tuple[TargetInput, ...] = ()

    @property
    def match(self) -> tuple:
        return tuple(getattr(self, f) or None for f in MATCH_FIELDS)


class PolicyInvalid(InvalidInput):
    """One or more problems with a policy; `errors` lists (field or None, message)."""

    def __init__(self, errors: list[tuple[str | None, str]]):
        super().__init__(" ".join(str(m) for _f, m in errors), field=errors[0][0])
        self.errors = errors


def sla_policy_create(*, actor, data: PolicyInput) -> SlaPolicy:
    if not actor.has_perms(["sla.add_slapolicy", "sla.add_slatarget"]):
        raise NotAllowed(_("You may not create SLA policies."))
    with transaction.atomic():
        _lock_active_policies()
        _validate(data, policy_id=None)
        policy = SlaPolicy.objects.create(**_settings(data))
        SlaTarget.objects.bulk_create([
            SlaTarget(policy=policy, metric=t.metric, amount=t.amount, unit=t.unit)
            for t in data.targets])
        audit(actor, policy, created=True, message=_describe(policy, None, data))
    return policy


def sla_policy_update(*, actor, policy_id: int, data: PolicyInput) -> SlaPolicy:
    if not actor.has_perms(["sla.change_slapolicy", "sla.change_slatarget",
                            "sla.add_slatarget", "sla.delete_slatarget"]):
        raise NotAllowed(_("You may not change SLA policies."))
    with transaction.atomic():
        _lock_active_policies()
        policy = SlaPolicy.objects.select_for_update().get(pk=policy_id)
        _validate(data, policy_id=policy_id)
        message = _describe(policy, _targets_of(policy), data)
        for name, value in _settings(data).items():
            setattr(policy, name, value)
        policy.save()
        wanted = {t.metric: t for t in data.targets}
        policy.targets.exclude(metric__in=wanted).delete()
        for target in wanted.values():
            SlaTarget.objects.update_or_create(
                policy=policy, metric=target.metric,
                defaults={"amount": target.amount, "unit": target.unit})
        if message:
            audit(actor, policy, message=message)
    return policy


def sla_policy_deactivate(*, actor, policy_id: int) -> SlaPolicy:
    """Stop matching complaints with this policy (kept for the clocks that refer to it)."""
    if not actor.has_perm("sla.change_slapolicy"):
        raise NotAllowed(_("You may not change SLA policies."))
    with transaction.atomic():
        _lock_active_policies()
        policy = SlaPolicy.objects.select_for_update().get(pk=policy_id)
        if not policy.is_active:
            return policy
        errors = _default_errors(
            SlaPolicy.objects.filter(is_active=True).exclude(pk=policy_id), None)
        if errors:
            raise PolicyInvalid(errors)
        policy.is_active = False
        policy.save(update_fields=["is_active"])
        audit(actor, policy, message=_("Deactivated."))
    return policy


def policy_input_of(policy: SlaPolicy, *,
                    targets: tuple[TargetInput, ...] | None = None) -> PolicyInput:
    """A policy's fields (saved or not) as input; its stored targets unless given."""
    if targets is None:
        targets = tuple(TargetInput(m, a, u) for m, (a, u) in _targets_of(policy).items())
    return PolicyInput(**{f: getattr(policy, f) for f in SETTINGS_FIELDS}, targets=targets)


def sla_policy_validate(*, data: PolicyInput, policy_id: int | None) -> None:
    """Raise PolicyInvalid listing every problem, or return: what create/update check."""
    _validate(data, policy_id=policy_id)


# --- rules -----------------------------------------------------------------------------------


def _lock_active_policies() -> None:
    """Two supervisors saving twin policies at once: the second waits and then sees the first."""
    list(SlaPolicy.objects.select_for_update().filter(is_active=True).order_by("pk")
         .values_list("pk", flat=True))


def _validate(data: PolicyInput, *, policy_id: int | None) -> None:
    errors = _field_errors(data) + _target_errors(data.targets)
    if not errors:
        errors = _set_errors(data, policy_id)
    if errors:
        raise PolicyInvalid(errors)


def _field_errors(data: PolicyInput) -> list[tuple[str | None, str]]:
    errors = []
    if not (data.name or "").strip():
        errors.append(("name", _("Give the policy a name.")))
    elif len(data.name) > SlaPolicy._meta.get_field("name").max_length:
        errors.append(("name", _("The name is too long (at most 100 characters).")))
    for field, choices in (("priority", Priority), ("channel", Channel),
                           ("customer_tier", CustomerTier)):
        if getattr(data, field) and getattr(data, field) not in choices.values:
            errors.append((field, _("Choose one of the listed values.")))
    if data.category_id and not Category.objects.filter(pk=data.category_id).exists():
        errors.append(("category", _("Choose one of the listed values.")))
    if not BusinessCalendar.objects.filter(pk=data.calendar_id).exists():
        errors.append(("calendar", _("Choose a calendar.")))
    if not isinstance(data.warning_percent, int) or not 1 <= data.warning_percent <= 99:
        errors.append(("warning_percent", _(
            "The warning must come at 1 to 99 percent of the allowed time.")))
    if data.breach_level not in (1, 2, 3):
        errors.append(("breach_level", _("The escalation level on breach must be 1, 2 or 3.")))
    step = _decimal(data.escalation_step_hours)
    if step is None or not Decimal(0) < step <= MAX_STEP_HOURS or _too_precise(step):
        errors.append(("escalation_step_hours", _(
            "The next level comes after more than 0 and at most 9999.99 working hours, with "
            "at most two decimals.")))
    return errors


def _target_errors(targets: tuple[TargetInput, ...]) -> list[tuple[str | None, str]]:
    errors, seen = [], set()
    for target in targets:
        if target.metric not in Metric.values:
            errors.append(("targets", _("Unknown metric “%(metric)s”.") % {
                "metric": target.metric}))
            continue
        label = Metric(target.metric).label
        if target.metric in seen:
            errors.append(("targets", _(
                "%(metric)s is set twice; a policy has one target per metric.") % {
                "metric": label}))
        seen.add(target.metric)
        amount = _decimal(target.amount)
        if amount is None or not Decimal(0) < amount <= MAX_AMOUNT or _too_precise(amount):
            errors.append(("targets", _(
                "%(metric)s: the time allowed must be more than 0 and at most 99999.99, with "
                "at most two decimals.") % {"metric": label}))
        if target.unit not in DurationUnit.values:
            errors.append(("targets", _("%(metric)s: choose a unit.") % {"metric": label}))
    if not targets:
        errors.append(("targets", _("Set the time allowed for at least one metric.")))
    return errors


def _set_errors(data: PolicyInput, policy_id: int | None) -> list[tuple[str | None, str]]:
    """Rules about the policy among the others: no exact twin, a complete default."""
    if not data.is_active:
        others_active = SlaPolicy.objects.filter(is_active=True).exclude(pk=policy_id)
        return _default_errors(others_active, None)
    others = SlaPolicy.objects.filter(is_active=True).exclude(pk=policy_id)
    for other in others:
        if tuple(getattr(other, f) or None for f in MATCH_FIELDS) == data.match:
            return [(None, _(
                "The active policy “%(other)s” already matches exactly the same complaints. "
                "Change the priority, category, channel or customer tier, or deactivate "
                "“%(other)s” first.") % {"other": other.name})]
    return _default_errors(others, data)


def _default_errors(others, data: PolicyInput | None) -> list[tuple[str | None, str]]:
    """Complaints that no specific policy matches need a target for every metric."""
    catch_all = [policy for policy in others.prefetch_related("targets")
                 if not any(getattr(policy, f) for f in MATCH_FIELDS)]
    covered = {t.metric for policy in catch_all for t in policy.targets.all()}
    if data is not None and not any(data.match):
        covered |= {t.metric for t in data.targets}
    missing = [Metric(m).label for m in Metric.values if m not in covered]
    if not missing:
        return []
    return [(None, _(
        "The default policy (active, matching every complaint) must set the time allowed for "
        "every metric, or some complaints would get no deadline. Missing: %(metrics)s.") % {
        "metrics": ", ".join(str(m) for m in missing)})]


def _decimal(value) -> Decimal | None:
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None
    return number if number.is_finite() else None


def _too_precise(number: Decimal) -> bool:
    return number != number.quantize(Decimal("0.01"))


# --- saving and describing -----------------------------------------------------------------


def _settings(data: PolicyInput) -> dict:
    values = {f: getattr(data, f) for f in SETTINGS_FIELDS}
    values["name"] = data.name.strip()
    for field in ("priority", "channel", "customer_tier"):
        values[field] = values[field] or ""
    values["category_id"] = data.category_id or None
    return values


def _targets_of(policy: SlaPolicy) -> dict[str, tuple[Decimal, str]]:
    return {t.metric: (t.amount, t.unit) for t in policy.targets.all()}


def _describe(policy: SlaPolicy, old_targets: dict | None, data: PolicyInput) -> str:
    """"warning_percent 75 → 80; Resolution 5 working days → 3 working days"."""
    if old_targets is None:
        return _("Created with %(targets)s.") % {"targets": ", ".join(
            f"{Metric(t.metric).label} {_amount(t.amount, t.unit)}" for t in data.targets)}
    parts = [f"{_label(field)} {getattr(policy, field) or '—'} → {value or '—'}"
             for field, value in _settings(data).items()
             if not _same(getattr(policy, field), value)]
    new_targets = {t.metric: (t.amount, t.unit) for t in data.targets}
    for metric in Metric.values:
        old, new = old_targets.get(metric), new_targets.get(metric)
        if old is not None and new is not None and Decimal(old[0]) == Decimal(new[0]) \
                and old[1] == new[1]:
            continue
        if old != new:
            parts.append(f"{Metric(metric).label} {_amount(*old) if old else '—'} → "
                         f"{_amount(*new) if new else '—'}")
    return "; ".join(str(p) for p in parts)


def _same(old, new) -> bool:
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return _decimal(old) == _decimal(new)
    return (old or "") == (new or "")


def _label(field: str) -> str:
    return str(SlaPolicy._meta.get_field(field.removesuffix("_id")).verbose_name)


def _amount(amount, unit: str) -> str:
    return f"{format_amount(amount)} {DurationUnit(unit).label}"


def format_amount(amount) -> str:
    """5.00 → "5", 1.50 → "1.5"."""
    text = f"{Decimal(amount):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
