"""Writes behind the complaint workspace: replies (canned responses, red-line check), dispatch
to departments (派单) and their results (回单), investigation, compensation and its approval,
resolving with a message to the customer, canned-response and red-line editing.

Every status change goes through complaints.services.complaint_transition and every audited
field change through complaint_update_fields; these functions only add what sits beside them.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints import services
from complaints.lifecycle import Action, Status
from complaints.models import (
    ActivityKind,
    CompensationStatus,
    CompensationType,
    Complaint,
    Department,
    ResponsibilityType,
    Visibility,
)
from kernel.errors import DomainError, InvalidInput, NotAllowed
from notifications.models import OutboundChannel, OutboundMessage
from notifications.outbound import customer_message_queue
from notifications.services import staff_notify, staff_notify_many
from workspace.models import CannedResponse, DepartmentTask, DepartmentTaskStatus, RedLinePhrase

# --- red lines (pure) -----------------------------------------------------------------------

# Characters an agent may put inside a phrase without changing it: spaces and punctuation.
_FILLER = r"[\s,，.。、;；:：!！?？'\"“”‘’~～\-—…]*"


@dataclass(frozen=True)
class RedLineMatch:
    phrase: str
    suggestion: str
    start: int
    end: int
    text: str  # what the reply actually says there


def _phrase_pattern(phrase: str) -> re.Pattern:
    chars = [re.escape(c) for c in phrase if not c.isspace()]
    return re.compile(_FILLER.join(chars), re.IGNORECASE)


def redline_check(text: str, phrases: list[tuple[str, str]]) -> list[RedLineMatch]:
    """Every place `text` uses one of `phrases` [(phrase, suggestion)], in reading order.

    Pure: no database. Spaces and punctuation inside a phrase do not hide it (「我不 大清楚」),
    Latin letters match in any case.
    """
    found = []
    for phrase, suggestion in phrases:
        if not phrase.strip():
            continue
        for m in _phrase_pattern(phrase).finditer(text or ""):
            found.append(RedLineMatch(phrase=phrase, suggestion=suggestion, start=m.start(),
                                      end=m.end(), text=m.group(0)))
    return sorted(found, key=lambda m: (m.start, -m.end))


def active_red_lines() -> list[tuple[str, str]]:
    return list(RedLinePhrase.objects.filter(is_active=True)
                .values_list("phrase", "suggestion"))


class RedLineWarning(DomainError):
    """The reply uses red-line phrases; sending needs an explicit "send anyway"."""

    status_code = 409
    code = "red_line"

    def __init__(self, matches: list[RedLineMatch]):
        self.matches = matches
        super().__init__(_("The reply contains red-line phrases: %(phrases)s. Reword it, or "
                           "confirm that you send it anyway.") % {
            "phrases": "、".join(dict.fromkeys(f"「{m.phrase}」" for m in matches))},
            field="body")


# --- canned responses -----------------------------------------------------------------------

PLACEHOLDERS = ("customer_name", "reference", "expected_date")


def canned_render(body: str, values: dict[str, str]) -> str:
    """Fill the known placeholders. A plain replace, never str.format: a template written by a
    supervisor cannot reach attributes or other data, and unknown braces stay as typed."""
    for name in PLACEHOLDERS:
        body = body.replace("{" + name + "}", values.get(name, ""))
    return body


def canned_values(*, complaint: Complaint, expected_at: datetime | None) -> dict[str, str]:
    """Placeholder values for a complaint. The customer's name is used as the customer gave it:
    the message goes to that customer."""
    name = complaint.customer.name
    with translation.override(settings.LANGUAGE_CODE):  # the customer's language, not the agent's
        unknown = {_("Unknown caller"), "Unknown caller"}
        return {
            "customer_name": name if name and name not in unknown else _("Dear customer"),
            "reference": complaint.reference,
            "expected_date": (timezone.localtime(expected_at).strftime("%Y-%m-%d")
                              if expected_at else _("as soon as possible")),
        }


def canned_save(*, actor, canned: CannedResponse | None = None, title: str, body: str,
                channel: str = "", sort_order: int = 0, is_active: bool = True) -> CannedResponse:
    if not actor.has_perm("workspace.change_cannedresponse"):
        raise NotAllowed(_("Only supervisors edit canned responses."))
    unknown = set(re.findall(r"\{(\w+)\}", body)) - set(PLACEHOLDERS)
    if unknown:
        raise InvalidInput(_("Unknown placeholder(s): %(names)s. Use {customer_name}, "
                             "{reference} or {expected_date}.") % {
            "names": ", ".join("{" + n + "}" for n in sorted(unknown))}, field="body")
    canned = canned or CannedResponse()
    canned.title, canned.body, canned.channel = title.strip(), body.strip(), channel
    canned.sort_order, canned.is_active = sort_order, is_active
    canned.updated_by, canned.updated_at = actor, timezone.now()
    canned.save()
    return canned


def redline_save(*, actor, item: RedLinePhrase | None = None, phrase: str, suggestion: str,
                 is_active: bool = True) -> RedLinePhrase:
    if not actor.has_perm("workspace.change_redlinephrase"):
        raise NotAllowed(_("Only supervisors edit red-line phrases."))
    phrase = phrase.strip()
    if not phrase:
        raise InvalidInput(_("Enter the phrase."), field="phrase")
    clash = RedLinePhrase.objects.filter(phrase=phrase)
    if item and item.pk:
        clash = clash.exclude(pk=item.pk)
    if clash.exists():
        raise InvalidInput(_("“%(phrase)s” is already on the list.") % {"phrase": phrase},
                           field="phrase")
    item = item or RedLinePhrase()
    item.phrase, item.suggestion, item.is_active = phrase, suggestion.strip(), is_active
    item.updated_by, item.updated_at = actor, timezone.now()
    item.save()
    return item


# --- replies --------------------------------------------------------------------------------


@dataclass
class ReplyResult:
    activity: object
    message: object  # OutboundMessage
    red_lines: list[RedLineMatch]


def reply_send(*, complaint_id: int, actor, body: str, channel: str,
               expected_version: int | None, send_anyway: bool = False,
               canned_id: int | None = None, request_key: str = "",
               request_digest: str = "") -> ReplyResult:
    """A public reply on the timeline, queued to the customer by SMS or email (quiet hours
    apply). Red-line phrases refuse the reply unless `send_anyway`; then the timeline records
    which phrases were sent knowingly, for the supervisor to see.

    With `request_key` (an Idempotency-Key, the form's one-time token) a retry of the same
    request gets the reply and the message the first one queued, and nothing new goes to the
    customer (see `complaint_add_note`)."""
    body = (body or "").strip()
    if not body:
        raise InvalidInput(_("Write the reply."), field="body")
    if channel not in OutboundChannel.values:
        raise InvalidInput(_("Choose SMS or email."), field="channel")
    matches = redline_check(body, active_red_lines())
    if matches and not send_anyway:
        raise RedLineWarning(matches)
    data = {"channel": channel}
    if canned_id:
        data["canned_response"] = canned_id
    if matches:
        data["red_lines_sent_anyway"] = sorted({m.phrase for m in matches})
    with transaction.atomic():
        if request_key:  # before the version check: a retry's version may be stale by now
            services.complaint_lock(complaint_id=complaint_id, expected_version=None)
            first = services.note_by_request_key(complaint_id=complaint_id, actor=actor,
                                                 key=request_key, digest=request_digest)
            if first is not None:
                return ReplyResult(activity=first, red_lines=matches,
                                   message=OutboundMessage.objects.get(
                                       pk=first.data["outbound_id"]))
        complaint = services.complaint_lock(complaint_id=complaint_id,
                                            expected_version=expected_version)
        if complaint.status in {Status.CLOSED, Status.MERGED, Status.CANCELLED}:
            raise InvalidInput(_("The complaint is closed; replies are no longer sent."))
        message = customer_message_queue(complaint=complaint, body=body, purpose="reply",
                                         channel=channel)
        data["outbound_id"] = message.id
        data["send_after"] = message.send_after.isoformat()
        entry = services.complaint_add_note(complaint_id=complaint_id, actor=actor, body=body,
                                            public=True, data=data, request_key=request_key,
                                            request_digest=request_digest)
    return ReplyResult(activity=entry, message=message, red_lines=matches)


# --- dispatch (派单) and results (回单) ---------------------------------------------------------


def dispatch_create(*, complaint_id: int, actor, expected_version: int | None,
                    departments: list[Department], instructions: str = "",
                    due_at: datetime | None = None) -> list[DepartmentTask]:
    """Send the work to one or more departments: the DISPATCH transition (waiting for the
    departments; two or more start the multi-department notice clock) and one task each."""
    departments = list(dict.fromkeys(departments))
    if not departments:
        raise InvalidInput(_("Choose at least one department."), field="departments")
    instructions = (instructions or "").strip()
    if not instructions:
        raise InvalidInput(_("Say what the departments should do."), field="instructions")
    if due_at is not None and (timezone.is_naive(due_at) or due_at <= timezone.now()):
        raise InvalidInput(_("The result due time must be in the future."), field="due_at")
    with transaction.atomic():
        services.complaint_transition(
            complaint_id=complaint_id, action=Action.DISPATCH, actor=actor,
            expected_version=expected_version, reason=instructions, departments=departments)
        now = timezone.now()
        tasks = DepartmentTask.objects.bulk_create([
            DepartmentTask(complaint_id=complaint_id, department=d, instructions=instructions,
                           due_at=due_at, created_by=actor, created_at=now)
            for d in departments])
        complaint = Complaint.objects.only("reference").get(pk=complaint_id)
        staff_notify_many(rows=[
            {"recipient_id": d.supervisor_id, "complaint_id": complaint_id, "kind": "dispatch",
             "created_at": now,
             "message": _("%(reference)s was dispatched to %(department)s: %(instructions)s") % {
                 "reference": complaint.reference, "department": d.name,
                 "instructions": instructions}}
            for d in departments if d.supervisor_id and d.supervisor_id != actor.pk])
    return tasks


def dispatch_return(*, complaint_id: int, task_id: int, actor, result: str,
                    expected_version: int | None) -> DepartmentTask:
    """Record one department's result (回单). When the last open task comes back, the complaint
    returns to in progress (RECEIVE_RESULT)."""
    result = (result or "").strip()
    if not result:
        raise InvalidInput(_("Write the department's result."), field="result")
    with transaction.atomic():
        complaint = services.complaint_lock(complaint_id=complaint_id,
                                            expected_version=expected_version)
        task = (DepartmentTask.objects.select_for_update().select_related("department")
                .filter(pk=task_id, complaint_id=complaint_id).first())
        if task is None:
            raise InvalidInput(_("This complaint has no such dispatch."), field="task")
        if task.status != DepartmentTaskStatus.OPEN:
            raise InvalidInput(_("%(department)s already returned its result.") % {
                "department": task.department.name}, field="task")
        now = timezone.now()
        task.status, task.result = DepartmentTaskStatus.RETURNED, result
        task.returned_by, task.returned_at = actor, now
        task.save(update_fields=["status", "result", "returned_by", "returned_at"])
        services.timeline_append(
            complaint_id=complaint_id, kind=ActivityKind.INTERNAL_NOTE, actor=actor,
            message=_("Result from %(department)s: %(result)s") % {
                "department": task.department.name, "result": result},
            data={"dispatch": task.id, "department": task.department.code, "result": result})
        still_open = DepartmentTask.objects.filter(
            complaint_id=complaint_id, status=DepartmentTaskStatus.OPEN).exists()
        if not still_open and complaint.status == Status.WAITING_DEPARTMENT:
            services.complaint_transition(
                complaint_id=complaint_id, action=Action.RECEIVE_RESULT, actor=actor,
                expected_version=complaint.version,
                reason=_("All departments returned their results."))
    return task


# --- investigation, compensation, resolution --------------------------------------------------


def investigation_record(*, complaint_id: int, actor, expected_version: int | None,
                         responsible_department: Department | None, responsibility_type: str,
                         findings: str) -> Complaint:
    """What the investigation found and who is responsible (department; company, customer or
    third party). The findings are the audit entry's reason."""
    findings = (findings or "").strip()
    if not findings:
        raise InvalidInput(_("Write what the investigation found."), field="findings")
    if responsibility_type not in ResponsibilityType.values:
        raise InvalidInput(_("Choose who is responsible."), field="responsibility_type")
    complaint = services.complaint_update_fields(
        complaint_id=complaint_id, actor=actor, expected_version=expected_version,
        changes={"responsible_department": responsible_department,
                 "responsibility_type": responsibility_type},
        reason=findings, extra={"investigation": findings},
        message=_("Investigation: %(findings)s") % {"findings": findings})
    if complaint.version == expected_version:  # nothing changed: still record the findings
        services.timeline_append(complaint_id=complaint_id, kind=ActivityKind.INTERNAL_NOTE,
                                 actor=actor, data={"investigation": findings},
                                 message=_("Investigation: %(findings)s") % {
                                     "findings": findings})
    return complaint


def compensation_limit() -> Decimal:
    return _whole_yuan(Decimal(str(settings.COMPENSATION_APPROVAL_LIMIT)))


def compensation_maximum() -> Decimal:
    """The largest compensation anyone may propose (COMPENSATION_MAXIMUM, CNY)."""
    return _whole_yuan(Decimal(str(settings.COMPENSATION_MAXIMUM)))


def _whole_yuan(amount: Decimal) -> Decimal:
    amount = amount.quantize(Decimal("0.01"))
    return amount.quantize(Decimal(1)) if amount == amount.to_integral_value() else amount


def _refuse_above_maximum(amount: Decimal) -> None:
    if amount > compensation_maximum():
        raise InvalidInput(
            _("A compensation can be at most ¥%(maximum)s (the ceiling set by "
              "COMPENSATION_MAXIMUM); ¥%(amount)s was refused. A larger settlement is agreed "
              "outside this system.") % {"maximum": compensation_maximum(), "amount": amount},
            field="amount")


def compensation_propose(*, complaint_id: int, actor, expected_version: int | None,
                         compensation_type: str, amount: Decimal, reason: str) -> Complaint:
    """Propose a compensation. Up to COMPENSATION_APPROVAL_LIMIT (CNY) it stands at once; above
    it waits for a supervisor, and the complaint cannot be resolved (nor the customer told)
    until then. Above COMPENSATION_MAXIMUM it is refused: no approval makes a typo (or a
    99,999,999.99) a payment."""
    reason = (reason or "").strip()
    if compensation_type not in CompensationType.values:
        raise InvalidInput(_("Choose the kind of compensation."), field="compensation_type")
    if amount is None or amount < 0:
        raise InvalidInput(_("The amount cannot be negative."), field="amount")
    _refuse_above_maximum(amount)
    if not reason:
        raise InvalidInput(_("Say why the customer is compensated."), field="reason")
    needs_approval = amount > compensation_limit()
    status = CompensationStatus.PENDING if needs_approval else CompensationStatus.APPROVED
    with transaction.atomic():
        complaint = services.complaint_update_fields(
            complaint_id=complaint_id, actor=actor, expected_version=expected_version,
            changes={"compensation_type": compensation_type, "compensation_amount": amount,
                     "compensation_status": status, "compensation_approved_by": None},
            reason=reason, extra={"compensation": "proposed", "limit":
                                  str(compensation_limit())},
            message=(_("Compensation proposed: %(type)s ¥%(amount)s, above the ¥%(limit)s "
                       "limit: awaiting a supervisor's approval. %(reason)s")
                     if needs_approval else
                     _("Compensation: %(type)s ¥%(amount)s (within the ¥%(limit)s limit). "
                       "%(reason)s")) % {
                "type": CompensationType(compensation_type).label, "amount": amount,
                "limit": compensation_limit(), "reason": reason})
        if needs_approval:
            approvers = get_user_model().objects.filter(
                Q(groups__permissions__codename="approve_compensation")
                | Q(is_superuser=True), is_active=True).exclude(pk=actor.pk).distinct()
            staff_notify(recipients=approvers, complaint_id=complaint_id, kind="approval",
                         message=_("%(reference)s: compensation ¥%(amount)s awaits your "
                                   "approval.") % {"reference": complaint.reference,
                                                   "amount": amount})
    return complaint


def compensation_decide(*, complaint_id: int, actor, expected_version: int | None,
                        approve: bool, reason: str = "") -> Complaint:
    """A supervisor approves or rejects a pending compensation (a rejection says why)."""
    if not actor.has_perm("complaints.approve_compensation"):
        raise NotAllowed(_("Only supervisors approve compensation."))
    reason = (reason or "").strip()
    if not approve and not reason:
        raise InvalidInput(_("Say why the compensation is rejected."), field="reason")
    with transaction.atomic():
        current = services.complaint_lock(complaint_id=complaint_id,
                                          expected_version=expected_version)
        if current.compensation_status != CompensationStatus.PENDING:
            raise InvalidInput(_("No compensation is awaiting approval on this complaint."))
        if approve and current.compensation_amount is not None:
            _refuse_above_maximum(current.compensation_amount)  # proposed before the ceiling
        values = {"type": current.get_compensation_type_display(),
                  "amount": current.compensation_amount, "reason": reason}
        complaint = services.complaint_update_fields(
            complaint_id=complaint_id, actor=actor, expected_version=expected_version,
            changes={"compensation_status": CompensationStatus.APPROVED if approve
                     else CompensationStatus.REJECTED,
                     "compensation_approved_by": actor if approve else None},
            reason=reason, extra={"compensation": "approved" if approve else "rejected"},
            message=(_("Compensation approved: %(type)s ¥%(amount)s. %(reason)s") if approve
                     else _("Compensation rejected: %(type)s ¥%(amount)s. %(reason)s")) % values)
        if current.assigned_agent_id and current.assigned_agent_id != actor.pk:
            staff_notify(
                recipients=[current.assigned_agent_id], complaint_id=complaint_id,
                kind="approval",
                message=(_("%(reference)s: compensation approved.") if approve
                         else _("%(reference)s: compensation rejected: %(reason)s")) % {
                    "reference": current.reference, "reason": reason})
    return complaint


def complaint_resolve(*, complaint_id: int, actor, expected_version: int | None,
                      summary: str, notify_customer: bool = True,
                      channel: str | None = None) -> Complaint:
    """Resolve with a summary and, by default, tell the customer the result (with the
    compensation, once approved). A pending compensation blocks both."""
    with transaction.atomic():
        complaint = services.complaint_transition(
            complaint_id=complaint_id, action=Action.RESOLVE, actor=actor,
            expected_version=expected_version, resolution_summary=summary)
        if notify_customer:
            with translation.override(settings.LANGUAGE_CODE):  # the customer's language
                text = _("Your complaint %(reference)s has been resolved: %(summary)s") % {
                    "reference": complaint.reference, "summary": complaint.resolution_summary}
                if complaint.compensation_status == CompensationStatus.APPROVED and \
                        complaint.compensation_amount:
                    text += " " + _("Compensation: %(type)s ¥%(amount)s.") % {
                        "type": complaint.get_compensation_type_display(),
                        "amount": complaint.compensation_amount}
            message = customer_message_queue(complaint=complaint, body=text,
                                             purpose="resolution", channel=channel)
            services.timeline_append(
                complaint_id=complaint_id, kind=ActivityKind.PUBLIC_REPLY, actor=actor,
                visibility=Visibility.PUBLIC, message=text,
                data={"outbound_id": message.id, "channel": message.channel,
                      "send_after": message.send_after.isoformat()})
    return complaint


def info_request(*, complaint_id: int, actor, expected_version: int | None, question: str,
                 send_to_customer: bool = True, channel: str | None = None) -> Complaint:
    """Ask the customer for information: the clocks pause (REQUEST_INFO) and, by default, the
    question goes to the customer."""
    with transaction.atomic():
        complaint = services.complaint_transition(
            complaint_id=complaint_id, action=Action.REQUEST_INFO, actor=actor,
            expected_version=expected_version, reason=question)
        if send_to_customer:
            customer_message_queue(complaint=complaint, body=question.strip(),
                                   purpose="info_request", channel=channel)
    return complaint
