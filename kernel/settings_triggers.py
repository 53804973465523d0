"""Database triggers that replace a table's token in complaints_settingsversion whenever the
table changes: insert, update, delete, bulk statements, raw SQL, loaders and TRUNCATE alike.
Used by migrations (keep these functions stable; a change needs a new migration)."""

FUNCTION = "complaints_settings_changed"


def install(schema_editor, tables: list[str]) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"""
            CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$
            BEGIN
                INSERT INTO complaints_settingsversion ("table", token)
                VALUES (TG_TABLE_NAME, md5(random()::text || clock_timestamp()::text))
                ON CONFLICT ("table") DO UPDATE SET token = EXCLUDED.token;
                RETURN NULL;
            END $$ LANGUAGE plpgsql""")
        for table in tables:
            schema_editor.execute(
                f'CREATE TRIGGER "{table}_settings_changed" AFTER INSERT OR UPDATE OR DELETE '
                f'OR TRUNCATE ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()')
    elif vendor == "sqlite":
        for table in tables:
            for event in ("INSERT", "UPDATE", "DELETE"):
                schema_editor.execute(
                    f'CREATE TRIGGER "{table}_settings_changed_{event.lower()}" AFTER {event} '
                    f'ON "{table}" BEGIN INSERT INTO complaints_settingsversion ("table", token) '
                    f"VALUES ('{table}', lower(hex(randomblob(16)))) "
                    f'ON CONFLICT ("table") DO UPDATE SET token = excluded.token; END')
    else:
        return  # other databases get no triggers: without a token nothing is kept
    # A first token for each table, so what earlier migrations seeded can be kept too.
    random = "md5(random()::text)" if vendor == "postgresql" else "lower(hex(randomblob(16)))"
    for table in tables:
        schema_editor.execute(
            f'INSERT INTO complaints_settingsversion ("table", token) VALUES (\'{table}\', '
            f'{random}) ON CONFLICT ("table") DO UPDATE SET token = excluded.token')


def remove(schema_editor, tables: list[str]) -> None:
    vendor = schema_editor.connection.vendor
    for table in tables:
        if vendor == "postgresql":
            schema_editor.execute(f'DROP TRIGGER IF EXISTS "{table}_settings_changed" '
                                  f'ON "{table}"')
        elif vendor == "sqlite":
            for event in ("insert", "update", "delete"):
                schema_editor.execute(
                    f'DROP TRIGGER IF EXISTS "{table}_settings_changed_{event}"')


def remove_function(schema_editor) -> None:
    """After every table's triggers are gone (the migration that created the function)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


def operation(tables: list[str], *, owns_function: bool = False):
    """The migration operation installing these tables' triggers (and removing them when the
    migration is unapplied; with `owns_function`, the trigger function too)."""
    from django.db import migrations

    def forwards(apps, schema_editor):
        install(schema_editor, tables)

    def backwards(apps, schema_editor):
        remove(schema_editor, tables)
        if owns_function:
            remove_function(schema_editor)

    return migrations.RunPython(forwards, backwards)
