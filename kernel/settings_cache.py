"""Settings kept in the process until they change: calendars, deadline policies, rules.

Each settings table has a random token in `complaints_settingsversion`, replaced by a
database trigger whenever anything changes the table (kernel/settings_triggers.py): a
save, a bulk load, raw SQL, a TRUNCATE. `cached(tables, key, load)` keeps `load()`'s value
with the tokens of the tables it was built from and hands it out while those tokens stand;
reading the tokens is one small query (once per memo scope), or no statement of its own when
the scope's first statement returns them along (`tokens_sql`, `tokens_given`: intake's claim of
its messages, the first thing a new complaint writes). The tokens live in the same
transaction as the change, so a change that rolls back also takes its token back, and a
value built inside that transaction no longer matches. A table without a token (a database
without the triggers, or just flushed) is never kept: `load()` runs each time.

Values are shared by every caller in the process: callers must not change them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from kernel import memo
from kernel.models import SettingsVersion

T = TypeVar("T")
_kept: dict[str, tuple[tuple, object]] = {}


def tokens() -> dict[str, str]:
    """Every settings table's current token (read once per memo scope)."""

    return memo.get(_TOKENS_KEY,
                    lambda: dict(SettingsVersion.objects.values_list("table", "token")))


_TOKENS_KEY = "settings_cache.tokens"


def tokens_sql(vendor: str) -> str:
    """A scalar subquery giving every table's token as one text, for `tokens_given`."""
    table = SettingsVersion._meta.db_table
    join = "string_agg" if vendor == "postgresql" else "group_concat"
    return f"SELECT {join}(\"table\" || '=' || token, ',') FROM \"{table}\""


def tokens_given(text: str | None) -> None:
    """The tokens `tokens_sql` returned, read in this memo scope's transaction: `tokens()`
    hands them out instead of reading them again."""
    memo.put(_TOKENS_KEY, dict(pair.split("=", 1) for pair in (text or "").split(",") if pair))


def cached(tables: tuple[str, ...], key: str, load: Callable[[], T]) -> T:
    """`load()`'s value, kept in the process while none of `tables` changed.

    The tokens are read before the value is loaded: a change committed in between makes the
    kept value look older than it is, never newer, so it is simply loaded again next time.
    """
    current = tokens()
    stamp = tuple(current.get(table) for table in tables)
    if None in stamp:
        return memo.get(key, load)
    kept = _kept.get(key)
    if kept is not None and kept[0] == stamp:
        return kept[1]
    value = memo.get(key, load)
    _kept[key] = (stamp, value)
    return value


def forget() -> None:
    """Drop everything kept (tests that change settings without a database change)."""
    _kept.clear()
