"""The restructure (issue 13) moved eleven models out of `complaints` without touching their
tables: the new apps' migrations must describe each moved model exactly as `complaints` did.

The end-to-end upgrade test that migrated a seeded database of the old layout ran while the
restructure was the newest migration (commit 945f9cb). It seeded with the current code, which
can no longer write the old tables once later migrations add columns, so it was retired when the
first such migration landed; this check of the migration state stays, because a later edit of
those migrations would still break real upgrades.
"""

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
# Where the restructure left each app: the moved models' state is compared there, since later
# migrations may change them as any model changes.
RESTRUCTURED = {**BEFORE, "complaints": "0011_models_moved_to_their_apps",
                **{app: "0001_initial" for app in NEW_APPS}}


def test_moved_models_keep_their_migration_state():
    """The new apps' migrations describe each moved model exactly as `complaints` did (fields,
    indexes, constraints, table): a difference would make the state disagree with the table the
    model kept, and a later migration would fail on a real database."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    leaves = loader.graph.leaf_nodes()
    old = loader.project_state([(app, BEFORE.get(app, name)) for app, name in leaves
                                if app not in NEW_APPS])
    new = loader.project_state([(app, RESTRUCTURED.get(app, name)) for app, name in leaves])
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
