"""The benchmarks' PostgreSQL databases: created empty (UTF-8, C collation) and dropped."""

import os

BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def _admin(*statements: str) -> None:
    import psycopg2

    conn = psycopg2.connect(f"{BASE}/postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for sql in statements:
                cur.execute(sql)
    finally:
        conn.close()


def recreate_database(name: str) -> None:
    """Drop `name` (closing its connections) and create it empty."""
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
           f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0 "
           "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'")


def drop_database(name: str) -> None:
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def copy_database(source: str, name: str) -> None:
    """`name` as a copy of `source` (which must have no other connections), replacing it.
    FILE_COPY: a checkpoint and a file copy, much faster than WAL-logging a large database."""
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
           f"CREATE DATABASE {name} TEMPLATE {source} STRATEGY FILE_COPY")
