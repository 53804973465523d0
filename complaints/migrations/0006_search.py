"""The desk (issue 6): the nearest deadline on the complaint, queue indexes, and search.

Search on PostgreSQL: the complaint text (subject and description) is indexed as its single
characters and overlapping two-character grams (`complaint_search_grams`, a GIN expression
index), so any Chinese word of one, two or more characters is found through the index whatever
way a segmenter would have cut the text; a LIKE on the candidates confirms the exact word.
Phone numbers are found by their last digits through a btree on the reversed number. Nothing is
stored per complaint, so the index can never be stale. On SQLite these objects are skipped and
search falls back to LIKE (see desk/search.py).
"""

from django.db import migrations, models
from django.db.models import Q

SEARCH_SQL = [
    # Built-in functions only, one expression (three times faster than a generate_series
    # loop): every character, and the two-character grams at even and at odd offsets. Grams
    # with punctuation or spaces are indexed too but never asked for (desk/search.py).
    r"""
    CREATE OR REPLACE FUNCTION complaint_search_grams(doc text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
      SELECT array_to_tsvector(array_remove(
        string_to_array(lower(doc), NULL)
        || string_to_array(regexp_replace(lower(doc), '(..)', E'\\1\x01', 'g'), E'\x01')
        || string_to_array(regexp_replace(substr(lower(doc), 2), '(..)', E'\\1\x01', 'g'),
                           E'\x01'),
        ''))
    $$
    """,
    "SET LOCAL maintenance_work_mem = '256MB'",
    """
    CREATE INDEX IF NOT EXISTS complaint_search_grams_idx ON complaints_complaint
    USING gin (complaint_search_grams(subject || ' ' || description))
    """,
    """
    CREATE INDEX IF NOT EXISTS customer_phone_reversed ON complaints_customer
    (reverse(phone) text_pattern_ops)
    """,
]
UNDO_SQL = [
    "DROP INDEX IF EXISTS customer_phone_reversed",
    "DROP INDEX IF EXISTS complaint_search_grams_idx",
    "DROP FUNCTION IF EXISTS complaint_search_grams(text)",
]

OPEN_VALUES = ["acknowledged", "in_progress", "new", "reopened", "waiting_customer",
               "waiting_department"]
DESK_INCLUDE = ["assigned_agent", "assigned_department"]

NEXT_DUE_SQL = """
UPDATE complaints_complaint AS c SET next_due_at = d.due
FROM (SELECT complaint_id, MIN(due_at) AS due FROM sla_clock
      WHERE state = 'running' OR (state = 'breached' AND completed_at IS NULL)
      GROUP BY complaint_id) AS d
WHERE c.id = d.complaint_id
"""


def create_search(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in SEARCH_SQL:
        schema_editor.execute(sql)


def drop_search(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in UNDO_SQL:
        schema_editor.execute(sql)


def fill_next_due(apps, schema_editor):
    """Complaints that already have clocks get their nearest deadline."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NEXT_DUE_SQL)
        return
    Complaint = apps.get_model("complaints", "Complaint")
    Clock = apps.get_model("sla", "Clock")
    due = (Clock.objects.filter(Q(state="running") | Q(state="breached", completed_at__isnull=True),
                                complaint=models.OuterRef("pk"))
           .values("complaint").annotate(first=models.Min("due_at")).values("first"))
    Complaint.objects.update(next_due_at=models.Subquery(due))


class Migration(migrations.Migration):
    dependencies = [("complaints", "0005_intake_duplicates"), ("sla", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="complaint",
            name="next_due_at",
            field=models.DateTimeField(blank=True, editable=False, null=True,
                                       verbose_name="nearest deadline"),
        ),
        migrations.RunPython(fill_next_due, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(fields=["next_due_at", "id"], include=DESK_INCLUDE,
                               name="complaint_next_due"),
        ),
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(condition=Q(resolved_at__isnull=False), include=DESK_INCLUDE,
                               fields=["resolved_at", "id"], name="complaint_resolved"),
        ),
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(condition=Q(escalation_level__gt=0, status__in=OPEN_VALUES),
                               include=DESK_INCLUDE, fields=["next_due_at", "id"],
                               name="complaint_escalated"),
        ),
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(condition=Q(assigned_agent__isnull=True, status__in=OPEN_VALUES),
                               include=["assigned_department"], fields=["next_due_at", "id"],
                               name="complaint_unassigned"),
        ),
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(fields=["assigned_agent", "next_due_at", "id"],
                               name="complaint_agent_next_due"),
        ),
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(fields=["priority", "-received_at"],
                               name="complaint_priority_recv"),
        ),
        migrations.RunPython(create_search, drop_search),
    ]
