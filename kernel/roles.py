"""Staff roles as Django groups, kept in step with the code after every migrate."""

from django.utils.translation import gettext_lazy as _

AGENT, SUPERVISOR, ADMINISTRATOR = "agent", "supervisor", "administrator"
ROLE_LABELS = {AGENT: _("Agent"), SUPERVISOR: _("Supervisor"), ADMINISTRATOR: _("Administrator"),
               "provincial_centre": _("Provincial customer-service centre")}

AGENT_PERMISSIONS = [
    "complaints.view_complaint", "complaints.add_complaint", "complaints.change_complaint",
    "complaints.view_customer", "complaints.add_customer", "complaints.change_customer",
    "complaints.view_category", "complaints.view_department",
    "complaints.view_activity", "complaints.add_activity",
    "complaints.view_attachment", "complaints.add_attachment",
    # notify: the outbox of messages to customers (recipients masked).
    "notifications.view_outboundmessage",
    # SLA: agents see deadlines and may escalate by hand.
    "sla.view_clock", "sla.view_escalation", "sla.add_escalation", "sla.view_slapolicy",
    "sla.view_businesscalendar", "sla.view_calendarday",
    # intake: see why a complaint was classified and its suggestions, correct it, try rules.
    "intake.view_complaintclassification", "intake.override_classification",
    "intake.view_classificationoverride", "intake.view_rule", "intake.view_classifiermodel",
    # workspace: canned responses and red lines to use, work dispatched to departments.
    "workspace.view_cannedresponse", "workspace.view_redlinephrase",
    "workspace.view_departmenttask", "workspace.add_departmenttask",
    "workspace.change_departmenttask",
]
SUPERVISOR_PERMISSIONS = AGENT_PERMISSIONS + [
    "complaints.cancel_complaint", "complaints.approve_compensation",
    "complaints.reveal_personal_data", "complaints.view_personaldataaccess",
    "complaints.change_category", "complaints.add_category",
    "complaints.change_department",
    # notify: send a failed customer message again from the outbox.
    "notifications.change_outboundmessage",
    # SLA: supervisors work the escalation queue and edit policies and calendars.
    "sla.change_escalation", "sla.add_slapolicy", "sla.change_slapolicy",
    "sla.delete_slapolicy", "sla.add_slatarget", "sla.change_slatarget",
    "sla.delete_slatarget", "sla.view_slatarget", "sla.change_businesscalendar",
    "sla.add_calendarday", "sla.change_calendarday", "sla.delete_calendarday",
    "sla.view_calendaryear", "sla.view_slaevent",
    # intake: edit rules and routing, mark agents available, train the classifier.
    "intake.add_rule", "intake.change_rule", "intake.delete_rule",
    "intake.view_categoryroute", "intake.change_categoryroute",
    "intake.view_departmentrouting", "intake.change_departmentrouting",
    "intake.view_agentavailability", "intake.change_agentavailability",
    "intake.add_classifiermodel",
    # intake: import regulator transfer batches (工信部 / 12300) and read their reports.
    "intake.add_regulatorimport", "intake.view_regulatorimport",
    # workspace: edit canned responses and red-line phrases.
    "workspace.add_cannedresponse", "workspace.change_cannedresponse",
    "workspace.add_redlinephrase", "workspace.change_redlinephrase",
]
SUPERVISOR_PERMISSIONS += [
    # closing: call customers back (every task), review low satisfaction scores.
    "followup.perform_callback", "followup.view_callbacktask",
    "followup.change_callbacktask", "followup.view_satisfactionsurvey",
    "followup.view_followuptask", "followup.change_followuptask",
]
SUPERVISOR_PERMISSIONS += [
    # reports: the dashboard, exports and the scheduled summaries.
    "reports.view_reports", "reports.view_reportrun", "reports.add_exportjob",
    "reports.view_exportjob",
]
# Quality assurance (质检): agents' reading rights, and they call customers back.
QA = "qa"
QA_PERMISSIONS = AGENT_PERMISSIONS + [
    "followup.perform_callback", "followup.view_callbacktask",
    "followup.view_satisfactionsurvey",
]
# The provincial customer-service centre (省客服中心): agents who see and work the complaints of
# every department (data scope: complaints.selectors.complaint_scope).
PROVINCIAL_CENTRE = "provincial_centre"
PROVINCIAL_CENTRE_PERMISSIONS = AGENT_PERMISSIONS + ["complaints.view_all_departments"]
# Administrators get every permission of the project's apps and of user management.
ADMIN_APPS = ["kernel", "complaints", "notifications", "intake", "sla", "workspace", "followup",
              "reports", "auth", "authtoken", "django_celery_beat",
              # login lockouts: administrators see and lift them (docs/security.md)
              "axes"]


def ensure_roles(**kwargs) -> None:
    from django.contrib.auth.models import Group, Permission

    def perms(names):
        found = []
        for name in names:
            app_label, codename = name.split(".")
            found += Permission.objects.filter(content_type__app_label=app_label,
                                               codename=codename)
        return found

    Group.objects.get_or_create(name=AGENT)[0].permissions.set(perms(AGENT_PERMISSIONS))
    Group.objects.get_or_create(name=SUPERVISOR)[0].permissions.set(perms(SUPERVISOR_PERMISSIONS))
    Group.objects.get_or_create(name=QA)[0].permissions.set(perms(QA_PERMISSIONS))
    Group.objects.get_or_create(name=PROVINCIAL_CENTRE)[0].permissions.set(
        perms(PROVINCIAL_CENTRE_PERMISSIONS))
    Group.objects.get_or_create(name=ADMINISTRATOR)[0].permissions.set(
        Permission.objects.filter(content_type__app_label__in=ADMIN_APPS))
