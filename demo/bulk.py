"""Large demo data sets: rows bulk-inserted in batches with a condensed timeline (created + last
status change), and reference numbers reserved per day in blocks, so later
`services.reference_next()` never collides."""

import csv
import gc
import io
import json
import time
from collections import Counter
from contextlib import contextmanager
from datetime import date

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection, reset_queries, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.lifecycle import Action, Status
from complaints.models import (
    Activity,
    ActivityKind,
    ActorType,
    Category,
    Channel,
    Complaint,
    Customer,
    ReferenceCounter,
    Visibility,
)
from demo.common import Stats
from demo.organisation import Organisation
from demo.people import customer_data
from demo.plans import ComplaintSpec, Outcome, Planner, outcome, spec_reason

MAX_SEQUENCE = 999_999  # references end in six digits per day
LOOKUP_CHUNK = 500  # phone numbers per IN (...) query; far below every backend's limit


def reserve_references(counts: dict[date, int]) -> dict[date, int]:
    """Reserve `count` consecutive reference numbers for each day; returns the first of each.

    One upsert moves every day's counter up by its count, so concurrent `reference_next()`
    callers and other seeders get numbers outside the reserved blocks.
    """
    if not counts:
        return {}
    table = connection.ops.quote_name(ReferenceCounter._meta.db_table)
    values = ", ".join(["(%s, %s)"] * len(counts))
    params = []
    for day, count in counts.items():
        params += [connection.ops.adapt_datefield_value(day), count]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, last_value) VALUES {values} "
            f"ON CONFLICT (day) DO UPDATE SET last_value = {table}.last_value + "
            "EXCLUDED.last_value RETURNING day, last_value", params)
        rows = cursor.fetchall()
    first = {}
    for day, last in rows:
        day = day if isinstance(day, date) else date.fromisoformat(str(day))
        if last > MAX_SEQUENCE:
            raise CommandError(f"More than {MAX_SEQUENCE:,} complaints on {day}: the "
                               "reference's six-digit sequence would overflow.")
        first[day] = last - counts[day] + 1
    return first


class RowWriter:
    """Writes rows of ready-made values: COPY on PostgreSQL, multi-row INSERTs elsewhere.

    At a million rows, bulk_create's model instances and per-field preparation cost several
    times what the database does, and under DEBUG Django's query log keeps the last 9,000
    statements with their parameters interpolated (megabytes each for multi-row INSERTs; on
    SQLite it even re-quotes every parameter with an extra query). So: a plain cursor, values
    adapted once by the caller (datetimes through `connection.ops`, JSON as text). Columns the
    caller does not give take the model field's default, so fields added later keep working.
    """

    MAX_ROWS = 1000  # per INSERT statement

    def __init__(self, model, given: set[str], returning: str | None = None):
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        unknown = given - {f.attname for f in fields}
        if unknown:
            raise ValueError(f"{model.__name__} has no fields {sorted(unknown)}")
        self.names = [f.attname for f in fields]
        self.defaults = {f.attname: _db_default(f) for f in fields if f.attname not in given}
        qn = connection.ops.quote_name
        self.table, self.pk = qn(model._meta.db_table), qn(model._meta.pk.column)
        self.columns = ", ".join(qn(f.column) for f in fields)
        self.returning_name = returning
        self.returning = qn(model._meta.get_field(returning).column) if returning else None
        limit = connection.features.max_query_params
        self.chunk = min(self.MAX_ROWS, limit // len(fields)) if limit else self.MAX_ROWS

    def insert(self, rows: list[dict]) -> dict:
        """Insert the rows; with `returning`, a map of that field's value → new id."""
        if not rows:
            return {}
        connection.ensure_connection()
        with connection.make_cursor(connection.create_cursor()) as cursor:
            if hasattr(cursor.cursor, "copy_expert"):  # psycopg2
                return self._copy(cursor, rows)
            return self._insert(cursor, rows)

    def _values(self, row: dict) -> list:
        return [row[name] if name in row else self.defaults[name] for name in self.names]

    def _insert(self, cursor, rows: list[dict]) -> dict:
        ids, one_row = {}, "(" + ", ".join(["%s"] * len(self.names)) + ")"
        tail = f" RETURNING {self.pk}, {self.returning}" if self.returning else ""
        for start in range(0, len(rows), self.chunk):
            part = rows[start:start + self.chunk]
            cursor.execute(
                f"INSERT INTO {self.table} ({self.columns}) VALUES "
                + ", ".join([one_row] * len(part)) + tail,
                [value for row in part for value in self._values(row)])
            if tail:
                ids.update((value, pk) for pk, value in cursor.fetchall())
        return ids

    def _copy(self, cursor, rows: list[dict]) -> dict:
        """COPY skips parsing tens of thousands of literals per statement: twice as fast."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in rows:
            writer.writerow([COPY_NULL if v is None else v for v in self._values(row)])
        buffer.seek(0)
        cursor.copy_expert(f"COPY {self.table} ({self.columns}) FROM STDIN "
                           f"WITH (FORMAT csv, NULL '{COPY_NULL}')", buffer)
        if not self.returning:
            return {}
        keys = [row[self.returning_name] for row in rows]
        # COPY returns nothing: look the new ids up. Newest last, so a new row wins.
        cursor.execute(f"SELECT {self.returning}, {self.pk} FROM {self.table} "
                       f"WHERE {self.returning} = ANY(%s) ORDER BY {self.pk}", [keys])
        return dict(cursor.fetchall())


COPY_NULL = r"\N"  # csv.writer leaves it unquoted, so COPY reads it as NULL


def _db_default(field):
    value = field.get_default()
    if field.get_internal_type() == "JSONField":
        return json.dumps(value)  # text suits INSERT and COPY alike
    return field.get_db_prep_save(value, connection)


@contextmanager
def _gc_paused():
    """The cycle collector keeps rescanning the batch's many small objects (about 12% of the
    run); they hold no reference cycles, so reference counting alone frees each batch."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


COMPLAINT_FIELDS = {
    "reference", "channel", "received_at", "customer_id", "category_id", "product_line",
    "priority", "status", "subject", "description", "location", "is_repeat", "is_vip",
    "is_regulator", "escalation_risk", "regulator_case_no", "assigned_department_id",
    "assigned_agent_id", "resolution_summary", "reopen_count", "merged_into_id", "version",
    "acknowledged_at", "resolved_at", "closed_at", "created_at", "updated_at", "updated_by_id"}
ACTIVITY_FIELDS = {"complaint_id", "kind", "actor_type", "actor_id", "visibility", "message",
                   "data", "version", "created_at"}
CUSTOMER_FIELDS = {"name", "phone", "email", "service_number", "tier", "created_at"}


class BulkSeeder:
    """Batches of bulk inserts; memory stays flat because each batch is planned on its own."""

    def __init__(self, planner: Planner, org: Organisation, progress, batch_size: int):
        self.planner, self.progress, self.batch_size = planner, progress, batch_size
        self.categories = dict(Category.objects.values_list("code", "id"))
        self.user_ids = {name: user.id for name, user in org.users.items()}
        self.department_ids = {code: d.id for code, d in org.departments.items()}
        self.customers: dict[int, tuple[int, bool]] = {}  # key → (id, is VIP); recent ones only
        self.complaint_rows = RowWriter(Complaint, COMPLAINT_FIELDS, returning="reference")
        self.activity_rows = RowWriter(Activity, ACTIVITY_FIELDS)
        self.customer_rows = RowWriter(Customer, CUSTOMER_FIELDS, returning="phone")
        self.when = connection.ops.adapt_datetimefield_value
        self.created_messages = {
            c: _("Complaint received via %(channel)s.") % {"channel": Channel(c).label}
            for c in Channel.values}
        self.status_messages: dict[tuple[Status, Status], str] = {}

    def run(self, total: int) -> Stats:
        with _gc_paused():
            return self._run(total)

    def _run(self, total: int) -> Stats:
        stats, started, done = Stats("bulk inserts"), time.monotonic(), 0
        while done < total:
            specs = self.planner.batch(min(self.batch_size, total - done))
            with transaction.atomic():
                self._insert(specs, stats)
            # Under DEBUG the ORM queries (customer look-ups) are logged; keep memory flat.
            reset_queries()
            done += len(specs)
            self.progress(done, total, time.monotonic() - started)
        return stats

    def _insert(self, specs: list[ComplaintSpec], stats: Stats) -> None:
        customers = self._customer_ids(specs, stats)
        references = self._references(specs)
        outcomes = [outcome(spec) for spec in specs]
        ids: dict[str, int] = {}  # reference → id
        # Originals first: a duplicate needs the id of the complaint it was merged into.
        for merged in (False, True):
            rows = [self._complaint(p, spec, outcomes[p], customers, references, ids)
                    for p, spec in enumerate(specs) if (spec.duplicate_of is not None) == merged]
            ids.update(self.complaint_rows.insert(rows))
        activities = [row for p, spec in enumerate(specs)
                      for row in self._timeline(spec, outcomes[p], ids[references[p]],
                                                references)]
        self.activity_rows.insert(activities)
        stats.complaints += len(specs)
        stats.activities += len(activities)
        stats.by_status.update(spec.status for spec in specs)

    # customers

    def _customer_ids(self, specs: list[ComplaintSpec], stats: Stats) -> dict:
        first_seen: dict[int, ComplaintSpec] = {}
        for spec in sorted(specs, key=lambda s: s.received_at):
            if spec.customer_key not in self.customers:
                first_seen.setdefault(spec.customer_key, spec)
        data = {k: customer_data(self.planner.seed, k) for k in first_seen}
        # Customers of an earlier run with the same seed are reused, not duplicated.
        existing = self._existing_ids([d.phone for d in data.values()])
        new = []
        for key, d in data.items():
            if d.phone in existing:
                self.customers[key] = (existing[d.phone], d.tier == "vip")
            else:
                new.append({"name": d.name, "phone": d.phone, "email": d.email,
                            "service_number": d.service_number, "tier": d.tier,
                            "created_at": self.when(first_seen[key].received_at)})
        new_ids = self.customer_rows.insert(new)
        for key, d in data.items():
            if d.phone in new_ids:
                self.customers[key] = (new_ids[d.phone], d.tier == "vip")
        stats.customers += len(new)
        batch = {spec.customer_key: self.customers[spec.customer_key] for spec in specs}
        self._forget_old_customers()
        return batch

    def _existing_ids(self, phones: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for i in range(0, len(phones), LOOKUP_CHUNK):
            rows = (Customer.objects.filter(phone__in=phones[i:i + LOOKUP_CHUNK])
                    .order_by("-id").values_list("phone", "id"))
            found.update(rows)  # the lowest id wins, as in services.customer_get_or_create
        return found

    def _forget_old_customers(self) -> None:
        oldest = self.planner.oldest_repeatable_customer()
        for key in [k for k in self.customers if k < oldest]:
            del self.customers[key]

    # references

    def _references(self, specs: list[ComplaintSpec]) -> dict[int, str]:
        """Position → reference: TS + local day received + sequence, in order received."""
        order = sorted(range(len(specs)), key=lambda p: specs[p].received_at)
        days = {p: timezone.localdate(specs[p].received_at) for p in order}
        following = reserve_references(Counter(days.values()))
        prefix, references = settings.COMPLAINT_REFERENCE_PREFIX, {}
        for p in order:
            day = days[p]
            references[p] = f"{prefix}{day:%Y%m%d}{following[day]:06d}"
            following[day] += 1
        return references

    # rows

    def _complaint(self, position: int, spec: ComplaintSpec, result: Outcome,
                   customers: dict, references: dict[int, str], ids: dict[str, int]) -> dict:
        """The row the services would have left after replaying `spec.path`."""
        customer_id, is_vip = customers[spec.customer_key]
        handled, when, reference = bool(spec.path), self.when, references[position]
        regulator = spec.channel == Channel.REGULATOR
        return {
            "reference": reference, "channel": spec.channel,
            "received_at": when(spec.received_at), "customer_id": customer_id,
            "category_id": self.categories.get(spec.category_code),
            "product_line": spec.product_line, "priority": spec.priority,
            "status": spec.status.value, "subject": spec.subject,
            "description": spec.description, "location": spec.location,
            "is_repeat": spec.is_repeat, "is_vip": is_vip, "is_regulator": regulator,
            "escalation_risk": spec.escalation_risk,
            # Derived from the reference, hence unique: "GX" + date + six digits.
            "regulator_case_no": "GX" + reference[-14:] if regulator else "",
            "assigned_department_id":
                self.department_ids[spec.department_code] if handled else None,
            "assigned_agent_id": self.user_ids[spec.agent_username] if handled else None,
            "resolution_summary": spec.resolution, "reopen_count": result.reopen_count,
            "merged_into_id": None if spec.duplicate_of is None
            else ids[references[spec.duplicate_of]],
            "version": 2 if handled else 1,
            "acknowledged_at": when(result.acknowledged_at),
            "resolved_at": when(result.resolved_at), "closed_at": when(result.closed_at),
            "created_at": when(spec.created_at),
            "updated_at": when(spec.times[-1] if handled else spec.created_at),
            "updated_by_id": self._actor_id(spec) if handled else self._intake_id(spec),
        }

    def _intake_id(self, spec: ComplaintSpec) -> int | None:
        return self.user_ids.get(spec.intake_username)

    def _actor_id(self, spec: ComplaintSpec) -> int:
        return self.user_ids[spec.actor_username]

    def _timeline(self, spec: ComplaintSpec, result: Outcome, complaint_id: int,
                  references: dict[int, str]) -> list[dict]:
        """"Created" for every complaint, plus the last status change for handled ones.

        Version 1 is the creation and version 2 the (condensed) handling, matching the row.
        """
        entries = [{
            "complaint_id": complaint_id, "kind": ActivityKind.CREATED.value,
            "actor_type": spec.intake_actor_type, "actor_id": self._intake_id(spec),
            "visibility": Visibility.PUBLIC.value, "version": 1,
            "created_at": self.when(spec.created_at),
            "message": self.created_messages[spec.channel],
            "data": json.dumps({"channel": spec.channel,
                                "received_at": spec.received_at.isoformat()})}]
        if spec.path:
            entries.append({
                "complaint_id": complaint_id, "kind": ActivityKind.STATUS_CHANGE.value,
                "actor_type": ActorType.STAFF.value, "actor_id": self._actor_id(spec),
                "visibility": Visibility.PUBLIC.value, "version": 2,
                "created_at": self.when(spec.times[-1]),
                "message": self._status_message(result.from_status, spec.status),
                "data": json.dumps(self._status_data(spec, result, references))})
        return entries

    def _status_data(self, spec: ComplaintSpec, result: Outcome,
                     references: dict[int, str]) -> dict:
        """What complaint_transition records for the last action."""
        action = spec.path[-1]
        data = {"action": action.value, "from": result.from_status.value,
                "to": spec.status.value}
        if action == Action.RESOLVE:
            data["resolution_summary"] = spec.resolution
        if action == Action.REOPEN:
            data["reopen_count"] = result.reopen_count
        if action == Action.MERGE:
            data["merged_into"] = references[spec.duplicate_of]
        if spec.reasons.get(action):
            data["reason"] = spec_reason(spec, action, references)
        return data

    def _status_message(self, before: Status, after: Status) -> str:
        key = (before, after)
        if key not in self.status_messages:
            self.status_messages[key] = _("%(from)s → %(to)s") % {
                "from": before.label, "to": after.label}
        return self.status_messages[key]
