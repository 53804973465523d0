"""Large demo data sets through the intake pipeline (intake/pipeline.py `intake_batch`), so they
carry classification, clocks, timelines and report figures exactly as real complaints do.

Each planned complaint becomes an IntakeMessage. A new one (status new) is a live message: it is
classified, routed, acknowledged and its clocks run. Every other one is a historical message
with its outcome (intake/history_batch.py): its department and agent, and its lifecycle steps at
their planned times, applied in bulk by the lifecycle service, its clocks settled by them. A
planned merge is left out of a complaint's history (a merge names another complaint: one by
one only); such a complaint stays where its history stopped, and the pipeline's duplicate check
flags it as it would a real repeat. Customers are matched or created per batch with their tier.
"""

import gc
import time

from django.core.management.base import CommandError
from django.db import reset_queries, transaction

from complaints.lifecycle import REASON_REQUIRED, Action, Status
from complaints.models import Activity, Customer
from complaints.services import customers_get_or_create_many
from demo.common import Stats
from demo.organisation import Organisation
from demo.people import customer_data
from demo.plans import ComplaintSpec, Planner, spec_reason
from intake.parsers.message import IntakeMessage
from intake.pipeline import intake_batch
from kernel.bulk import cycle_collector_paused
from kernel.db import analyze_tables
from kernel.limits import received_at_within
from kernel.errors import DomainError

SOURCE = "demo"  # the idempotency keys' namespace (InboundMessage.channel)
ANALYSED = ["complaints_customer", "complaints_complaint", "complaints_activity",
            "intake_inboundmessage", "intake_complaintclassification", "sla_clock",
            "reports_complaintfact"]


class PipelineSeeder:
    """Batches of messages through intake_batch; memory stays flat (each batch on its own)."""

    def __init__(self, planner: Planner, org: Organisation, progress, batch_size: int, *,
                 first: int = 0):
        # `first`: numbers the messages after the complaints that exist (a second run's ids
        # and case numbers are new).
        self.planner, self.org, self.first = planner, org, first
        self.progress, self.batch_size = progress, batch_size

    def run(self, total: int) -> Stats:
        stats = Stats("through the intake pipeline")
        activities, customers = Activity.objects.count(), Customer.objects.count()
        started, done = time.monotonic(), 0
        with cycle_collector_paused():
            while done < total:
                specs = self.planner.batch(min(self.batch_size, total - done))
                with transaction.atomic():
                    self._store(specs, done, stats)
                reset_queries()  # under DEBUG the batch's statements are logged
                gc.collect()  # the batch's reference cycles, if any (only what is not frozen)
                done += len(specs)
                self.progress(done, total, time.monotonic() - started)
        stats.activities = Activity.objects.count() - activities
        stats.customers = Customer.objects.count() - customers
        analyze_tables(ANALYSED)
        return stats

    def _store(self, specs: list[ComplaintSpec], offset: int, stats: Stats) -> None:
        people = [customer_data(self.planner.seed, spec.customer_key) for spec in specs]
        customers_get_or_create_many(people=[
            {"phone": p.phone, "name": p.name, "email": p.email,
             "service_number": p.service_number, "tier": p.tier} for p in people])
        messages = [self._message(spec, person, offset + position)
                    for position, (spec, person) in enumerate(zip(specs, people))]
        for message, result in zip(messages, intake_batch(messages)):
            if isinstance(result, DomainError):
                raise CommandError(f"demo message {message.external_id} refused: "
                                   f"{result.message}")
            status = result.complaint.status
            stats.complaints += 1
            stats.by_status[Status(status)] += 1

    def _message(self, spec: ComplaintSpec, person, position: int) -> IntakeMessage:
        steps = []
        for action, at in zip(spec.path, spec.times):
            if action == Action.MERGE:
                break
            steps.append([action.value, at.isoformat()])
        day = spec.received_at.strftime("%Y%m%d")
        salt = self.first
        return IntakeMessage(
            channel=spec.channel, source=SOURCE, received_at=spec.received_at,
            external_id=f"{self.planner.seed}-{salt + position}",
            description=spec.description, subject=spec.subject, customer_name=person.name,
            customer_phone=person.phone, customer_email=person.email,
            service_number=person.service_number, category_code=spec.category_code,
            priority=spec.priority, product_line=spec.product_line, location=spec.location,
            # Eight digits after the date: never a service seeder's (seven) number.
            regulator_case_no=f"GX{day}{salt + position:08d}"
            if spec.channel == "regulator" else "",
            # New and recent: a live message; anything else: history with its outcome.
            historical=bool(steps) or spec.status != Status.NEW
            or not received_at_within(spec.received_at, now=self.planner.now),
            metadata={"history": {
                "steps": steps, "department": spec.department_code if steps else "",
                "agent": spec.agent_username if steps else "",
                "resolution": spec.resolution,
                "reasons": {a.value: spec_reason(spec, a, {}) for a in spec.path
                            if a in REASON_REQUIRED and a != Action.MERGE}}})


