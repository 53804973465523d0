"""Upgrading a database of the old layout to the new one keeps every row, permission and group
membership (issue 13).

A scratch PostgreSQL database is migrated to the last migrations before the restructure, filled
by `seed_demo`, given the permissions the old roles code granted (the moved models' permissions
were named with the `complaints` label) and migrated to the new layout with `manage.py migrate`,
as an operator would. Then:
- the schema is untouched: the same tables (same OIDs, so none was recreated), columns, indexes,
  constraints and triggers, and every sequence where it was;
- every table holds the same rows, except the bookkeeping compared on its own: the applied
  migrations (exactly the restructure's), the content types (the moved models' rows relabelled
  to their new apps, ids kept) and the beat tasks' change times;
- groups and users hold the same permission ids, now named with the new labels, and through the
  new code each user may do exactly what they could before (`followup.perform_callback` for QA);
- the moved models read the same rows, with the same related objects, through their new apps.

Steps that need Django run in subprocesses (this module run with `python -m`) against the scratch
database, so the test needs no test database of its own; the snapshots are read with psycopg2.
`seed_demo` is today's code: it can fill the old layout because the moved models kept their
tables and columns. Once a later migration changes a table seed_demo writes, pin this test's
`migrate` to the restructure's migrations (RESTRUCTURE) and seed with raw SQL.
"""

import json
import os
import re
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULE = "tests.integration.test_upgrade_layout"

# Every model that left `complaints`, and its new app; each kept its table complaints_<model>.
MOVED = {
    "settingsversion": "kernel",
    "notification": "notifications",
    "outboundmessage": "notifications",
    "cannedresponse": "workspace",
    "redlinephrase": "workspace",
    "departmenttask": "workspace",
    "callbacktask": "followup",
    "callbackattempt": "followup",
    "followuptask": "followup",
    "resultconfirmation": "followup",
    "satisfactionsurvey": "followup",
}
NEW_APPS = sorted(set(MOVED.values()))
# The last migration of each project app before the restructure; other apps at their latest.
BEFORE = {
    "complaints": "0010_settings_version",
    "intake": "0005_settings_triggers",
    "sla": "0004_settings_triggers",
    "reports": "0003_duration_buckets",
}
RESTRUCTURE = {
    ("kernel", "0001_initial"),
    ("notifications", "0001_initial"),
    ("workspace", "0001_initial"),
    ("followup", "0001_initial"),
    ("complaints", "0011_models_moved_to_their_apps"),
}
COMPLAINTS = 30  # enough for every status; seeding costs about a quarter of a second each
# Columns the upgrade may rewrite: register_periodic_tasks saves every beat task after migrate.
TOUCHED_COLUMNS = {
    "django_celery_beat_periodictask": ["date_changed"],
    "django_celery_beat_periodictasks": ["last_update"],
}
# Compared on their own (see `compare`).
BOOKKEEPING = {"django_migrations", "django_content_type"}


@pytest.mark.postgres
def test_upgrade_keeps_rows_permissions_and_memberships(tmp_path):
    with scratch_database(os.environ["DATABASE_URL"]) as url:
        env = subprocess_env(url, tmp_path)
        run(env, "-m", MODULE, "before")
        run(env, "manage.py", "seed_demo", "--complaints", str(COMPLAINTS))
        run(env, "-m", MODULE, "old_roles")
        before = snapshot(url)
        assert_worth_upgrading(before)
        run(env, "manage.py", "migrate", "--noinput")
        after = snapshot(url)
        out = tmp_path / "read_back.json"
        run(env, "-m", MODULE, "read_back", str(out))
        read_back = json.loads(out.read_text())
    problems = compare(before, after) + check_read_back(before, read_back)
    assert not problems, "the upgrade lost or changed:\n" + "\n".join(problems)


def test_moved_models_keep_their_migration_state():
    """The new apps' migrations describe each moved model exactly as `complaints` did (fields,
    indexes, constraints, table): a difference would make the state disagree with the table the
    model kept, and a later migration would fail on a real database."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    leaves = loader.graph.leaf_nodes()
    old = loader.project_state([(app, BEFORE.get(app, name)) for app, name in leaves
                                if app not in NEW_APPS])
    # At the restructure: later migrations of the new apps may change their models.
    new = loader.project_state(sorted(RESTRUCTURE))
    assert {name: app for app, name in new.models if app in NEW_APPS} == MOVED
    for name, app in MOVED.items():
        was, now = old.models["complaints", name], new.models[app, name]
        assert _state_of(was) == _state_of(now), name


def _state_of(model_state) -> tuple:
    def relabel(kwargs: dict) -> dict:
        target = kwargs.get("to")
        if target and target.startswith("complaints.") and target[11:] in MOVED:
            kwargs = {**kwargs, "to": f"{MOVED[target[11:]]}.{target[11:]}"}
        return kwargs

    fields = [(name, field.deconstruct()[1], relabel(field.deconstruct()[3]))
              for name, field in model_state.fields.items()]
    table = model_state.options.get("db_table") or f"complaints_{model_state.name_lower}"
    options = {**model_state.options, "db_table": table}
    return fields, options, model_state.bases, model_state.managers


# --- the scratch database --------------------------------------------------------------------


@contextmanager
def scratch_database(url: str):
    """A new database next to the test database, dropped afterwards whatever happens."""
    import psycopg2

    parts = urlsplit(url)
    base = re.sub(r"\W", "_", parts.path.lstrip("/"))[:40]
    name = f"{base}_upgrade_{uuid.uuid4().hex[:8]}"
    server = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    server.autocommit = True
    try:
        with server.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urlunsplit(parts._replace(path=f"/{name}"))
        finally:
            with server.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        server.close()


def subprocess_env(url: str, tmp_path: Path) -> dict:
    """The scratch database; cache, broker and media in tmp_path, so nothing the steps do
    (cached settings, queued tasks) reaches Redis or another process."""
    from django.conf import settings

    env = {k: v for k, v in os.environ.items()
           if k not in {"REDIS_URL", "CELERY_BROKER_URL", "CACHE_KEY_PREFIX", "MEDIA_ROOT"}}
    env.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings",
               VAR_DIR=str(tmp_path / "var"), JIEBA_CACHE_DIR=str(settings.JIEBA_CACHE_DIR))
    return env


def run(env: dict, *args: str) -> None:
    result = subprocess.run([sys.executable, *args], check=False, cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (
        f"{' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-6000:]}")


# --- snapshots -------------------------------------------------------------------------------


def snapshot(url: str) -> dict:
    import psycopg2

    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        def rows(sql: str, params=None) -> list[tuple]:
            cursor.execute(sql, params)
            return cursor.fetchall()

        tables = dict(rows("SELECT c.relname, c.oid::int FROM pg_class c "
                           "JOIN pg_namespace n ON n.oid = c.relnamespace "
                           "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"))
        content = {}
        for table in tables:
            dropped = TOUCHED_COLUMNS.get(table, [])
            # Every row as JSON (minus columns the upgrade may touch), hashed in a fixed order.
            content[table] = rows(
                f'SELECT count(*), md5(coalesce(string_agg(r, E\'\\n\' ORDER BY r), \'\')) '
                f'FROM (SELECT (to_jsonb(t) - %s::text[])::text AS r FROM "{table}" t) rows',
                [dropped])[0]
        return {
            "tables": tables,
            "content": content,
            "columns": set(rows(
                "SELECT table_name, column_name, data_type, is_nullable, column_default "
                "FROM information_schema.columns WHERE table_schema = 'public'")),
            "indexes": set(rows("SELECT tablename, indexname, indexdef FROM pg_indexes "
                                "WHERE schemaname = 'public'")),
            "constraints": set(rows(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(c.oid) "
                "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
                "WHERE n.nspname = 'public'")),
            "triggers": set(rows("SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) "
                                 "FROM pg_trigger WHERE NOT tgisinternal")),
            "sequences": dict(rows("SELECT sequencename, last_value FROM pg_sequences "
                                   "WHERE schemaname = 'public'")),
            "migrations": set(rows("SELECT app, name FROM django_migrations")),
            "content_types": {i: (app, model) for i, app, model in
                              rows("SELECT id, app_label, model FROM django_content_type")},
            "permissions": {i: (ct, codename) for i, ct, codename in
                            rows("SELECT id, content_type_id, codename FROM auth_permission")},
            "groups": _grouped(rows(
                "SELECT g.name, gp.permission_id FROM auth_group g "
                "LEFT JOIN auth_group_permissions gp ON gp.group_id = g.id")),
            "users": {name: (i, superuser) for i, name, superuser in
                      rows("SELECT id, username, is_superuser FROM auth_user")},
            "user_groups": _grouped(rows(
                "SELECT u.username, g.name FROM auth_user_groups ug "
                "JOIN auth_user u ON u.id = ug.user_id JOIN auth_group g ON g.id = ug.group_id")),
            "user_permissions": _grouped(rows(
                "SELECT u.username, up.permission_id FROM auth_user_user_permissions up "
                "JOIN auth_user u ON u.id = up.user_id")),
            "moved_rows": {model: _moved_rows(rows, app, model) for model, app in MOVED.items()},
        }


def _grouped(pairs: list[tuple]) -> dict[str, set]:
    grouped: dict[str, set] = {}
    for key, value in pairs:
        grouped.setdefault(key, set())
        if value is not None:
            grouped[key].add(value)
    return grouped


def _moved_rows(rows, app: str, model: str) -> list[list]:
    """Primary key and every foreign key of each row, as `read_back` reads them via the ORM."""
    from django.apps import apps

    meta = apps.get_model(app, model)._meta
    columns = [f'"{f.column}"' for f in [meta.pk, *_relations(meta)]]
    return [list(row) for row in rows(
        f'SELECT {", ".join(columns)} FROM "complaints_{model}" ORDER BY {columns[0]}')]


def _relations(meta) -> list:
    return [f for f in meta.concrete_fields if f.is_relation]


# --- checks ----------------------------------------------------------------------------------


def assert_worth_upgrading(before: dict) -> None:
    """The old layout as the old code left it, with something in it to lose."""
    labels = {app for app, _ in before["content_types"].values()}
    assert not labels & set(NEW_APPS), "the new apps' content types exist before the upgrade"
    moved = {model for app, model in before["content_types"].values() if app == "complaints"}
    assert set(MOVED) <= moved, "the moved models have no content types under complaints"
    assert not before["migrations"] & RESTRUCTURE
    # seed_demo fills settingsversion, notification, outboundmessage, cannedresponse,
    # redlinephrase and departmenttask; old_roles the follow-up tables.
    empty = [m for m in MOVED if before["content"][f"complaints_{m}"][0] == 0]
    assert not empty, f"nothing to carry over in {empty} (seed_demo or old_roles changed?)"
    qa = {_name(before, p) for p in before["groups"]["qa"]}
    assert {"complaints.perform_callback", "complaints.view_callbacktask"} <= qa
    direct = _names(before, before["user_permissions"]["upgrade_direct"])
    assert "complaints.view_outboundmessage" in direct


def compare(before: dict, after: dict) -> list[str]:
    problems = []

    def same(what: str, key: str) -> None:
        if before[key] != after[key]:
            gone, new = _diff(before[key], after[key])
            problems.append(f"{what}: before only {gone}; after only {new}")

    same("tables (by OID: none may be recreated)", "tables")
    for key in ("columns", "indexes", "constraints", "triggers"):
        same(key, key)
    for table, (count, digest) in before["content"].items():
        now = after["content"].get(table)
        if table not in BOOKKEEPING and now != (count, digest):
            problems.append(f"rows of {table}: {count} before, {now and now[0]} after"
                            + (" (same count, changed content)" if now and now[0] == count else ""))
    was, now = ({k: v for k, v in snap["sequences"].items() if k != "django_migrations_id_seq"}
                for snap in (before, after))
    if was != now:
        problems.append(f"sequences moved: before only {_diff(was, now)[0]}; after only "
                        f"{_diff(was, now)[1]}")
    added = after["migrations"] - before["migrations"]
    if added != RESTRUCTURE or not before["migrations"] <= after["migrations"]:
        problems.append(f"applied migrations: added {sorted(added)}, "
                        f"expected {sorted(RESTRUCTURE)}")

    # Content types: the moved models' rows relabelled, ids kept; nothing else changed.
    expected = {i: (MOVED[model], model) if app == "complaints" and model in MOVED else (app, model)
                for i, (app, model) in before["content_types"].items()}
    if after["content_types"] != expected:
        gone, new = _diff(expected, after["content_types"])
        problems.append(f"content types: expected {gone}, found {new}")
    pairs = list(after["content_types"].values())
    if len(pairs) != len(set(pairs)):
        twice = sorted({p for p in pairs if pairs.count(p) > 1})
        problems.append(f"content types twice: {twice}")

    # Permissions, group and user holdings: the same ids.
    same("permissions (id → content type, codename)", "permissions")
    for key, what in (("groups", "group permissions"), ("user_permissions", "user permissions"),
                      ("user_groups", "group memberships")):
        for name in sorted(set(before[key]) | set(after[key])):
            was, now = before[key].get(name, set()), after[key].get(name, set())
            if was != now:
                if key != "user_groups":
                    was, now = _names(after, was, before), _names(after, now, before)
                problems.append(f"{what} of {name}: lost {sorted(was - now)}, "
                                f"gained {sorted(now - was)}")
    same("users", "users")
    qa = _names(after, after["groups"].get("qa", set()))
    if "followup.perform_callback" not in qa:
        problems.append(f"qa does not resolve to followup.perform_callback: {sorted(qa)}")
    return problems


def check_read_back(before: dict, read_back: dict) -> list[str]:
    """What the new code reads: the moved rows through the new models, each user's permissions
    through the auth backend."""
    problems = []
    for model, app in MOVED.items():
        got = read_back["models"].get(f"{app}.{model}")
        if got is None:
            problems.append(f"{app}.{model}: no such model in the new code")
            continue
        if got["db_table"] != f"complaints_{model}":
            problems.append(f"{app}.{model} reads {got['db_table']}, not complaints_{model}")
        if got["rows"] != before["moved_rows"][model]:
            problems.append(f"{app}.{model}: {len(got['rows'])} rows read through the ORM, "
                            f"{len(before['moved_rows'][model])} in the table before, or "
                            "different related objects")
    for username, (_, superuser) in before["users"].items():
        if superuser:
            continue
        ids = set(before["user_permissions"].get(username, set()))
        for group in before["user_groups"].get(username, set()):
            ids |= before["groups"][group]
        expected = {_new_name(before, p) for p in ids}
        found = set(read_back["permissions"].get(username, []))
        if found != expected:
            problems.append(f"{username} may no longer {sorted(expected - found)}, "
                            f"newly may {sorted(found - expected)}")
    for username, perm in (("upgrade_qa", "followup.perform_callback"),
                           ("upgrade_direct", "notifications.view_outboundmessage")):
        if not read_back["has_perm"].get(username, {}).get(perm):
            problems.append(f"{username}.has_perm({perm!r}) is False")
    return problems


def _name(snap: dict, permission_id: int, fallback: dict | None = None) -> str:
    """A permission's name in `snap` (or in `fallback` if it is not there)."""
    if permission_id not in snap["permissions"] and fallback:
        snap = fallback
    content_type, codename = snap["permissions"][permission_id]
    return f"{snap['content_types'][content_type][0]}.{codename}"


def _names(snap: dict, permission_ids, fallback: dict | None = None) -> set[str]:
    return {_name(snap, p, fallback) for p in permission_ids}


def _new_name(before: dict, permission_id: int) -> str:
    """A permission's name after the upgrade, from the snapshot before it."""
    content_type, codename = before["permissions"][permission_id]
    app, model = before["content_types"][content_type]
    if app == "complaints" and model in MOVED:
        app = MOVED[model]
    return f"{app}.{codename}"


def _diff(was, now) -> tuple[list, list]:
    if isinstance(was, dict):
        was, now = set(was.items()), set(now.items())
    return sorted(was - now, key=repr)[:20], sorted(now - was, key=repr)[:20]


# --- steps run in subprocesses with Django set up (python -m tests.integration.…) -------------
# Imports are inside the steps: they run only after django.setup().


def step_before() -> None:
    """Migrate to the layout before the restructure, then post_migrate as `migrate` does: it
    creates the content types and permissions of that state (moved models under complaints)."""
    from django.core.management.sql import emit_post_migrate_signal
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    targets = [(app, BEFORE.get(app, name)) for app, name in executor.loader.graph.leaf_nodes()
               if app not in NEW_APPS]
    plan = executor.migration_plan(targets)
    later = [(m.app_label, m.name) for m, _ in plan
             if m.app_label in NEW_APPS or (m.app_label, m.name) in RESTRUCTURE]
    if later:
        raise SystemExit(f"the old layout's migrations depend on the restructure: {later}")
    state = executor.migrate(targets, plan=plan)
    emit_post_migrate_signal(0, False, connection.alias, apps=state.apps, plan=plan)


def step_old_roles() -> None:
    """What the old code left that seed_demo (today's code) cannot: the groups' permissions as
    the old roles granted them, by their old `complaints` names (kernel/roles.py with the moved
    models relabelled: the only change the restructure made to it), a user with permissions of
    their own, a QA user, and rows in the follow-up tables seed_demo leaves empty."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.db import transaction
    from django.utils import timezone

    from complaints.models import Complaint
    from followup import models as followup
    from kernel import roles

    def old(names: list[str]) -> list:
        found = []
        for name in names:
            app, codename = name.split(".")
            found += Permission.objects.filter(
                content_type__app_label="complaints" if app in NEW_APPS else app,
                codename=codename)
        return found

    with transaction.atomic():
        for group, names in ((roles.AGENT, roles.AGENT_PERMISSIONS),
                             (roles.SUPERVISOR, roles.SUPERVISOR_PERMISSIONS),
                             (roles.QA, roles.QA_PERMISSIONS)):
            Group.objects.get_or_create(name=group)[0].permissions.set(old(names))
        Group.objects.get_or_create(name=roles.ADMINISTRATOR)[0].permissions.set(
            Permission.objects.filter(content_type__app_label__in={
                "complaints" if app in NEW_APPS else app for app in roles.ADMIN_APPS}))

        users = get_user_model().objects
        qa = users.create_user("upgrade_qa", password=None)
        qa.groups.add(Group.objects.get(name=roles.QA))
        direct = users.create_user("upgrade_direct", password=None)
        direct.groups.add(Group.objects.get(name=roles.AGENT))
        direct.user_permissions.set(old([
            "followup.perform_callback", "notifications.view_outboundmessage",
            "workspace.delete_cannedresponse", "kernel.view_settingsversion",
            "complaints.view_complaint"]))

        supervisor = users.get(username="supervisor")
        now = timezone.now()
        free = Complaint.objects.filter(callback_tasks=None, result_confirmations=None,
                                        satisfaction_survey=None, follow_up_tasks=None)
        complaint = free.exclude(resolved_at=None).order_by("id").first() or free.first()
        task = followup.CallbackTask.objects.create(
            complaint=complaint, cycle=complaint.reopen_count,
            reason=followup.CallbackReason.SAMPLE, assignee=qa, scheduled_at=now,
            due_at=now + timedelta(days=1))
        followup.CallbackAttempt.objects.create(
            task=task, result=followup.CallbackOutcome.UNREACHABLE, actor=qa, note="无人接听")
        followup.ResultConfirmation.objects.create(
            complaint=complaint, cycle=complaint.reopen_count, answer=followup.ResultAnswer.SOLVED,
            channel=followup.FeedbackChannel.STAFF, recorded_by=supervisor)
        followup.SatisfactionSurvey.objects.create(
            complaint=complaint, stars=2, channel=followup.FeedbackChannel.STAFF,
            recorded_by=supervisor, comment="处理太慢")
        followup.FollowUpTask.objects.create(
            complaint=complaint, kind=followup.FollowUpKind.LOW_SCORE_REVIEW,
            assignee=supervisor)


def step_read_back(out: str) -> None:
    """The moved rows through the new models (following every relation), and every user's
    permissions through the auth backend."""
    from django.apps import apps
    from django.contrib.auth import get_user_model

    models = {}
    for app in NEW_APPS:
        for model in apps.get_app_config(app).get_models():
            relations = _relations(model._meta)
            rows = [[obj.pk] + [getattr(getattr(obj, f.name), "pk", None) for f in relations]
                    for obj in model.objects.select_related(*(f.name for f in relations))
                    .order_by("pk")]
            models[model._meta.label_lower] = {"db_table": model._meta.db_table, "rows": rows}
    users = list(get_user_model().objects.all())
    Path(out).write_text(json.dumps({
        "models": models,
        "permissions": {u.username: sorted(u.get_all_permissions()) for u in users},
        "has_perm": {u.username: {p: u.has_perm(p) for p in (
            "followup.perform_callback", "notifications.view_outboundmessage")} for u in users},
    }))


if __name__ == "__main__":
    import django

    django.setup()
    step, *arguments = sys.argv[1:]
    {"before": step_before, "old_roles": step_old_roles, "read_back": step_read_back}[step](
        *arguments)
