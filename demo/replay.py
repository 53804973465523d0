"""Small demo data sets: every complaint goes through the real services, so its timeline is the
one a user would have produced."""

import random

from django.db import transaction
from django.utils import timezone

from complaints import services
from complaints.lifecycle import Action
from complaints.models import Activity, Category, Channel, Complaint, Customer
from demo.common import Stats
from demo.organisation import Organisation
from demo.people import SUPERVISOR_USERNAME, customer_data
from demo.plans import ComplaintSpec, Planner, spec_reason
from workspace import services as workspace_services
from workspace.models import DepartmentTask

# The customer hears back once the complaint is acknowledged (public reply); the agent's
# internal notes follow the start of the handling.
NOTES_AFTER = {Action.ACKNOWLEDGE: True, Action.START: False}


class ServiceSeeder:
    """Every complaint goes through the services, so its timeline is the real thing."""

    def __init__(self, planner: Planner, org: Organisation):
        self.planner, self.org = planner, org
        self.categories = {c.code: c for c in Category.objects.all()}
        self.customers: dict[int, Customer] = {}
        self.rng = random.Random(planner.seed)

    def run(self, total: int) -> Stats:
        stats = Stats("through the services")
        activities, customers = Activity.objects.count(), Customer.objects.count()
        # One batch: a duplicate always points at an earlier complaint of its batch.
        references: dict[int, str] = {}
        for position, spec in enumerate(self.planner.batch(total)):
            with transaction.atomic():
                complaint = self._create(spec)
                references[position] = complaint.reference
                self._replay(spec, complaint, references)
            stats.complaints += 1
            stats.by_status[spec.status] += 1
        # Includes entries other apps add when they receive the complaint events (deadlines).
        stats.activities = Activity.objects.count() - activities
        stats.customers = Customer.objects.count() - customers
        return stats

    def _customer(self, key: int) -> Customer:
        if key not in self.customers:
            data = customer_data(self.planner.seed, key)
            self.customers[key] = services.customer_get_or_create(
                phone=data.phone, name=data.name, email=data.email,
                service_number=data.service_number, tier=data.tier)
        return self.customers[key]

    def _create(self, spec: ComplaintSpec) -> Complaint:
        intake = self.org.users.get(spec.intake_username)
        return services.complaint_create(
            customer=self._customer(spec.customer_key), channel=spec.channel,
            subject=spec.subject, description=spec.description, received_at=spec.received_at,
            actor=intake, actor_type=spec.intake_actor_type,
            category=self.categories.get(spec.category_code), priority=spec.priority,
            product_line=spec.product_line, location=spec.location,
            regulator_case_no=self._case_number(spec),
            flags={"is_repeat": spec.is_repeat, "escalation_risk": spec.escalation_risk})

    def _case_number(self, spec: ComplaintSpec) -> str:
        """A regulator case number nobody has yet (unique in the database).

        Seven digits after the date, so it can never equal a bulk row's number (six digits).
        """
        if spec.channel != Channel.REGULATOR:
            return ""
        day = timezone.localdate(spec.received_at)
        while True:
            number = f"GX{day:%Y%m%d}{self.rng.randrange(10**7):07d}"
            if not Complaint.objects.filter(regulator_case_no=number).exists():
                return number

    def _replay(self, spec: ComplaintSpec, complaint: Complaint, references: dict) -> None:
        """Assignment, each lifecycle action and the notes, in the order a team would act."""
        if not spec.path:
            return
        users = self.org.users
        agent, actor = users[spec.agent_username], users[spec.actor_username]
        services.complaint_assign(
            complaint_id=complaint.id, actor=users[SUPERVISOR_USERNAME],
            expected_version=None, department=self.org.departments[spec.department_code],
            agent=agent)
        pending = list(spec.notes)
        department = self.org.departments[spec.department_code]
        for action in spec.path:
            if action == Action.DISPATCH:  # as agents do: one task for the department
                workspace_services.dispatch_create(
                    complaint_id=complaint.id, actor=actor, expected_version=None,
                    departments=[department],
                    instructions=(spec_reason(spec, action, references)
                                  or DISPATCH_INSTRUCTIONS))
                continue
            if action == Action.RECEIVE_RESULT:  # its result brings the complaint back
                for task in DepartmentTask.objects.filter(complaint=complaint, status="open"):
                    workspace_services.dispatch_return(
                        complaint_id=complaint.id, task_id=task.id, actor=actor,
                        result=DISPATCH_RESULT, expected_version=None)
                continue
            services.complaint_transition(
                complaint_id=complaint.id, action=action, actor=actor, expected_version=None,
                reason=spec_reason(spec, action, references),
                resolution_summary=spec.resolution if action == Action.RESOLVE else "",
                merged_into_reference=references.get(spec.duplicate_of, "")
                if action == Action.MERGE else "")
            if action in NOTES_AFTER:
                for note in [n for n in pending if n[1] == NOTES_AFTER[action]]:
                    services.complaint_add_note(complaint_id=complaint.id, actor=agent,
                                                body=note[0], public=note[1])
                    pending.remove(note)



DISPATCH_INSTRUCTIONS = "请核实客户反映的问题并在时限内回单，附处理结果。"
DISPATCH_RESULT = "已现场核实并处理，客户问题已解决，详见处理记录。"
