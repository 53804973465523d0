"""Database helpers the ORM does not offer fast enough."""

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.fields import AutoFieldMixin


def bulk_update_rows(model, objs, fields: list[str]) -> None:
    """Write `fields` of many objects in one statement.

    Django's bulk_update builds one CASE expression per field that PostgreSQL evaluates for
    every row against every case: a 500-row batch took about a second. On PostgreSQL this
    joins a VALUES list instead; elsewhere it falls back to bulk_update.
    """
    if not objs:
        return
    # The real connection, not the thread-local proxy: values are prepared per row and field.
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, fields)
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    pk = meta.pk
    casts = [f"%s::{pk.db_type(connection)}"] + [
        f"%s::{_cast_type(col, connection)}" for col in columns]
    row = "(" + ", ".join(casts) + ")"
    names = [pk.column] + [col.column for col in columns]
    params = []
    for obj in objs:
        params.append(pk.get_db_prep_value(obj.pk, connection))
        params.extend(col.get_db_prep_save(getattr(obj, col.attname), connection)
                      for col in columns)
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(c.column)} = v.{quote(c.column)}" for c in columns)
    sql = (f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "
           f"FROM (VALUES {', '.join([row] * len(objs))}) AS v({', '.join(map(quote, names))}) "
           f"WHERE t.{quote(pk.column)} = v.{quote(pk.column)}")
    _execute_or_defer(connection, sql, params)


def _cast_type(field, connection) -> str:
    target = field.target_field if field.is_relation else field
    db_type = target.rel_db_type(connection) if field.is_relation else target.db_type(connection)
    # "smallint CHECK (...)" and the like: keep only the type.
    return db_type.split(" CHECK")[0]


def _insert_sql(model, rows: list[dict], connection) -> tuple[str, list]:
    """`INSERT INTO table (columns) VALUES (...), (...)` of `rows` ({field name or attname:
    value}; fields left out take their default), and its parameters."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    params = []
    for row in rows:
        for field in fields:
            if field.name in row:
                value = row[field.name]
                value = value.pk if field.is_relation and hasattr(value, "pk") else value
            elif field.attname in row:
                value = row[field.attname]
            else:
                value = field.get_default()
            params.append(field.get_db_prep_save(value, connection))
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (f"INSERT INTO {quote(model._meta.db_table)} "
           f"({', '.join(quote(f.column) for f in fields)}) VALUES {', '.join([one] * len(rows))}")
    return sql, params


def insert_rows(model, rows: list[dict], *, returning_ids: bool = False) -> list[int]:
    """INSERT many rows given as {field name: value} without building model instances.

    Fields left out take their default. On PostgreSQL one statement (with RETURNING when ids
    are wanted); elsewhere bulk_create. Used by the sweep, whose thousands of timeline entries,
    events and notices spent most of their time in Model.__init__.
    """
    if not rows:
        return []
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        objs = model.objects.bulk_create([model(**row) for row in rows])
        return [obj.pk for obj in objs]
    sql, params = _insert_sql(model, rows, connection)
    if returning_ids:
        sql += f" RETURNING {connection.ops.quote_name(model._meta.pk.column)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [r[0] for r in cursor.fetchall()] if returning_ids else []


# SQLSTATE classes a retry can fix: connection exception, transaction rollback (deadlock,
# serialization), insufficient resources, operator intervention (shutdown, cannot connect now),
# system error. Anything else (54 program limit exceeded, 22 data exception, 23 integrity
# constraint…) comes from the data: a retry fails the same way.
TEMPORARY_SQLSTATE_CLASSES = frozenset({"08", "40", "53", "57", "58"})


def database_error_is_temporary(error: BaseException) -> bool:
    """Whether a DatabaseError is one a later retry may not meet (the server down or busy)."""
    cause = error.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if not sqlstate:  # no answer from a server: could not connect (or SQLite busy)
        return True
    return sqlstate[:2] in TEMPORARY_SQLSTATE_CLASSES


def analyze_tables(tables: list[str]) -> list[str]:
    """Refresh the planner's statistics of `tables` after a bulk load (PostgreSQL ANALYZE), so
    queries are planned for their new size at once rather than after autovacuum gets to them.
    Outside a transaction it is `VACUUM (ANALYZE)`: a bulk load updates rows it has just
    written (a historical complaint's steps, its intake message's link), leaving about two dead
    row versions per complaint that every index scan wades through until a vacuum; the desk's
    tab counts read 7 times the pages until then (docs/benchmarks.md). Autovacuum would get
    there in its own time, or never where it is off. Inside a transaction (where VACUUM cannot
    run) only ANALYZE. The tables analysed; none elsewhere (SQLite plans without statistics)."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql" or not tables:
        return []
    quote = connection.ops.quote_name
    in_transaction = connection.in_atomic_block or not connection.get_autocommit()
    command = "ANALYZE " if in_transaction else "VACUUM (ANALYZE) "
    with connection.cursor() as cursor:
        cursor.execute(command + ", ".join(quote(t) for t in tables))
    return list(tables)


def insert_rows_skipping_conflicts(model, rows: list[dict], *, returning: list[str],
                                   also: str = "") -> list[tuple]:
    """INSERT many rows ({field name: value}) in one statement, skipping each row that
    conflicts with a unique constraint (an existing row, or an earlier row of the same list);
    returns the `returning` fields of the rows inserted, in no promised order.

    `INSERT ... ON CONFLICT DO NOTHING RETURNING`, which PostgreSQL and SQLite (3.35+) both
    understand. Intake claims its messages' idempotency keys with it: a row not returned was
    recorded before (or by a concurrent delivery, which then waits on the unique index).
    `also`: one more SQL expression returned as each row's last value, unconverted (a scalar
    subquery the caller would otherwise send as a statement of its own)."""
    if not rows:
        return []
    connection = connections[DEFAULT_DB_ALIAS]
    sql, params = _insert_sql(model, rows, connection)
    columns = [model._meta.get_field(name) for name in returning]
    quote = connection.ops.quote_name
    sql += f" ON CONFLICT DO NOTHING RETURNING {', '.join(quote(c.column) for c in columns)}"
    if also:
        sql += f", ({also})"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    return [tuple(col.from_db_value(value, None, connection)
                  if hasattr(col, "from_db_value") else value
                  for col, value in zip(columns, row)) + tuple(row[len(columns):])
            for row in fetched]


def rows_known(instance, **related: list) -> None:
    """Hand `instance`'s related rows, known from having just written them, to its related
    managers as prefetch_related would ({related name: rows}, in the model's order): reading
    them through the manager then runs no query; filtering them still does."""
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, rows in related.items():
        queryset = getattr(instance, name).all()
        queryset._result_cache, queryset._prefetch_done = list(rows), True
        cache[name] = queryset


# Batches up to this size go through insert_objects' own statement; larger ones through
# bulk_create, whose UNNEST form suits thousands of rows.
LEAN_INSERT_MAX = 50
_insert_templates: dict[tuple, tuple[list, str]] = {}


def insert_objects(objs: list, *, ids: bool = True,
                   update_conflicts: tuple[list[str], list[str]] | None = None) -> list:
    """`bulk_create(objs)` for the few rows of one intake request, without the ORM's query
    compilation (a bulk_create of one complaint's three clocks cost about 1 ms of CPU, most of
    it building the same INSERT again). The same rows as bulk_create: every concrete field
    but the automatic primary key, `pre_save` values (auto_now_add) and related objects' ids
    taken as bulk_create takes them, the new ids set on the objects (`ids`), the objects
    marked saved (`ids=False`: the caller needs no ids, and inside `writes_together` the
    INSERT waits to go with the others). `update_conflicts`: (unique fields, fields to
    update), as bulk_create's update_conflicts. On PostgreSQL with at most LEAN_INSERT_MAX
    objects, their automatic primary keys not set yet (a primary key that is not automatic,
    like a report fact's complaint, is given by every object); otherwise bulk_create."""
    if not objs:
        return objs
    model = type(objs[0])
    connection = connections[DEFAULT_DB_ALIAS]
    automatic = isinstance(model._meta.pk, AutoFieldMixin)  # else the pk is given (facts)
    if (connection.vendor != "postgresql" or len(objs) > LEAN_INSERT_MAX
            or any(type(obj) is not model or (obj.pk is not None) is automatic
                   for obj in objs)):
        if update_conflicts is None:
            return model.objects.bulk_create(objs)
        unique, update = update_conflicts
        return model.objects.bulk_create(objs, update_conflicts=True, unique_fields=unique,
                                         update_fields=update)
    ids = ids and automatic
    key = (model, len(objs), ids, tuple(map(tuple, update_conflicts or ())))
    template = _insert_templates.get(key)
    if template is None:
        template = _insert_templates[key] = _insert_template(model, len(objs), ids,
                                                             update_conflicts, connection)
    fields, sql = template
    params = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
        for field in fields:
            params.append(field.get_db_prep_save(field.pre_save(obj, True), connection))
    if not ids:
        _execute_or_defer(connection, sql, params)
        for obj in objs:
            obj._state.adding, obj._state.db = False, connection.alias
        return objs
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if ids:
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = pk
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias
    return objs


def _insert_template(model, count: int, ids: bool, update_conflicts, connection):
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not getattr(f, "generated", False)
              and not (f.primary_key and isinstance(f, AutoFieldMixin))]
    quote = connection.ops.quote_name
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES {', '.join([one] * count)}")
    if update_conflicts is not None:
        unique, update = update_conflicts
        columns = [meta.get_field(name).column for name in unique]
        sets = ", ".join(f"{quote(meta.get_field(name).column)} = "
                         f"EXCLUDED.{quote(meta.get_field(name).column)}" for name in update)
        sql += f" ON CONFLICT({', '.join(map(quote, columns))}) DO UPDATE SET {sets}"
    if ids:
        sql += f" RETURNING {quote(meta.pk.column)}"
    return fields, sql


_select_templates: dict[tuple, tuple[list, str]] = {}


def select_objects(model, where: str, params: list, *, only: tuple[str, ...] = (),
                   order_by: str = "") -> list:
    """`model.objects.filter(...).only(*only).order_by(...)` for a statement the caller
    writes once (`where`, `order_by`: SQL over the model's columns, `%s` for `params`),
    without the ORM's compilation of the same query on every request: the instances as the
    ORM makes them (Model.from_db, fields outside `only` deferred, the fields' own
    conversions of database values applied)."""
    connection = connections[DEFAULT_DB_ALIAS]
    key = (model, only)
    template = _select_templates.get(key)
    if template is None:
        meta = model._meta
        fields = [f for f in meta.concrete_fields
                  if not only or f.attname in only or f.name in only or f.primary_key]
        quote = connection.ops.quote_name
        template = _select_templates[key] = (fields, (
            f"SELECT {', '.join(quote(f.column) for f in fields)} FROM {quote(meta.db_table)}"))
    fields, select = template
    converters = [(i, f.from_db_value) for i, f in enumerate(fields)
                  if hasattr(f, "from_db_value")]
    sql = f"{select} WHERE {where}" + (f" ORDER BY {order_by}" if order_by else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [instance_from_row(model, fields, row, converters) for row in rows]


def columns_of(model, fields=None) -> tuple[list, str]:
    """The fields (all concrete ones by default, in the model's order) and their columns
    qualified by the table, for a SELECT instance_from_row reads."""
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    fields = list(model._meta.concrete_fields) if fields is None else fields
    table = quote(model._meta.db_table)
    return fields, ", ".join(f"{table}.{quote(f.column)}" for f in fields)


def instance_from_row(model, fields, row, converters=None):
    """The instance the ORM makes of `row` (values of `fields`, in the model's field order),
    the fields' conversions of database values applied."""
    connection = connections[DEFAULT_DB_ALIAS]
    if converters is None:
        converters = [(i, f.from_db_value) for i, f in enumerate(fields)
                      if hasattr(f, "from_db_value")]
    if converters:
        row = list(row)
        for i, convert in converters:
            row[i] = convert(row[i], None, connection)
    return model.from_db(connection.alias, [f.attname for f in fields], row)


_together: ContextVar[list | None] = ContextVar("kernel_db_writes_together", default=None)


@contextmanager
def writes_together() -> Iterator[None]:
    """Writes that return nothing (bulk_update_rows, insert_objects with ids=False), made in
    the block on PostgreSQL, are sent together when the block ends: one round trip to the
    database instead of one each, in the order they were made. Nothing in the block may read
    what they write; a block that raises sends none of them (its transaction rolls back)."""
    if _together.get() is not None:
        yield
        return
    token = _together.set([])
    try:
        yield
        pending = _together.get()
    finally:
        _together.reset(token)
    if pending:
        connection = connections[DEFAULT_DB_ALIAS]
        with connection.cursor() as cursor:
            cursor.execute(";\n".join(sql for sql, _params in pending),
                           [value for _sql, params in pending for value in params])


def _execute_or_defer(connection, sql: str, params: list) -> None:
    pending = _together.get()
    if pending is not None and connection.vendor == "postgresql" and params:
        pending.append((sql, params))
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# Field types copy_objects writes itself; a model with any other column goes through
# bulk_create (no loss, only slower).
_COPY_TYPES = frozenset({
    "AutoField", "BigAutoField", "BigIntegerField", "BooleanField", "CharField", "DateField",
    "DateTimeField", "DecimalField", "DurationField", "EmailField", "FloatField",
    "ForeignKey", "IntegerField", "JSONField", "OneToOneField", "PositiveBigIntegerField",
    "PositiveIntegerField", "PositiveSmallIntegerField", "SlugField", "SmallIntegerField",
    "TextField", "URLField", "UUIDField"})
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_objects(model, objs: list, *, with_ids: bool = False) -> None:
    """INSERT many unsaved instances of `model`: on PostgreSQL one `COPY ... FROM STDIN` of
    their values (no SQL text of a million parameters to build and parse), elsewhere
    bulk_create (SQLite: multi-row INSERTs). The same rows as bulk_create: every concrete
    column but an automatic id, the values the instances hold (auto_now fields filled in as
    on save), JSON through the field's encoder. The instances get no ids, unless `with_ids`:
    then (PostgreSQL) their ids are taken from the table's sequence first, one statement,
    and written with them, as bulk_create would have set them."""
    if not objs:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    meta = model._meta
    automatic = meta.pk.get_internal_type() in ("AutoField", "BigAutoField")
    fields = [f for f in meta.concrete_fields
              if not (f.primary_key and automatic and not with_ids)]
    if connection.vendor != "postgresql" or any(
            f.get_internal_type() not in _COPY_TYPES for f in fields):
        model.objects.bulk_create(objs)
        return
    if with_ids and automatic:
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                           "FROM generate_series(1, %s)",
                           [meta.db_table, meta.pk.column, len(objs)])
            ids = sorted(row[0] for row in cursor.fetchall())
        for obj, pk in zip(objs, ids):
            obj.pk = pk
    if objs[0].get_deferred_fields():
        raise ValueError("copy_objects writes whole instances, not ones with deferred fields")
    stamped = [f for f in fields if getattr(f, "auto_now", False)
               or getattr(f, "auto_now_add", False)]
    related = [(f.attname, f.name) for f in fields if f.is_relation]
    columns = [(f.attname, _copy_text(f)) for f in fields]
    buffer = io.StringIO()
    write = buffer.write
    for obj in objs:
        for field in stamped:
            field.pre_save(obj, True)
        # The values as the instance holds them (its __dict__: no descriptor per column).
        values = obj.__dict__
        cache = obj._state.fields_cache
        for attname, name in related:  # a related object saved after it was set (bulk_create)
            if values.get(attname) is None and cache.get(name) is not None:
                target = cache[name]
                if target.pk is None:
                    raise ValueError(f"{model.__name__}.{name}: unsaved {target!r}")
                setattr(obj, attname, target.pk)
        write("\t".join(["\\N" if (value := values.get(attname)) is None else text(value)
                         for attname, text in columns]))
        write("\n")
    buffer.seek(0)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
            "FROM STDIN", buffer)
    if with_ids:
        for obj in objs:
            obj._state.adding, obj._state.db = False, connection.alias


def _copy_text(field):
    """The function writing a (non-null) value of `field` in COPY's text format."""
    kind = (field.target_field if field.is_relation else field).get_internal_type()
    if kind == "JSONField":
        encoder = field.encoder
        return lambda value: json.dumps(value, cls=encoder).translate(_COPY_ESCAPES)
    if kind == "BooleanField":
        return lambda value: "t" if value else "f"
    if kind == "DurationField":
        return lambda value: f"{value.days} days {value.seconds}.{value.microseconds:06d} seconds"
    if kind in ("DateTimeField", "DateField"):
        return _copy_time
    if kind.endswith(("IntegerField", "AutoField", "FloatField")) or kind == "DecimalField":
        return str
    return _copy_str


def _copy_time(value) -> str:
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ValueError("copy_objects takes aware datetimes only")
    return value.isoformat()


def _copy_str(value) -> str:
    return str(value).translate(_COPY_ESCAPES)
