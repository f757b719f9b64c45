"""Reads of the installation's configuration (the organisation, AutoQA's settings, the active
scorecards with their conditions and current versions, the categories, the criteria's names,
the survey templates, the settings the rollups were computed under),
kept by each web process while the configuration stays the same.

Every write to a configuration table (`TABLES`), whatever makes it (a form, the admin, a bulk
update, raw SQL, a restore), gives the one-row table `STAMP` a new random stamp, through
database triggers (server migrations). A read kept under a stamp is served again only while
the stamp is still the database's: a page view asks for the stamp once, with one uncompiled
statement, instead of building and compiling a statement for each read. Random, not a counter,
so a rolled-back change's stamp never comes back for a different configuration; the stamp is
read before what is kept under it, so nothing older than a stamp is ever kept under it.

Kept reads serve GET and HEAD requests only (`reading`, the middleware): a POST, a worker or a
command reads the database every time, so what a request writes and then reads agrees, and no
object that a writer may change is shared between requests.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import connection

T = TypeVar("T")

STAMP = "supportqa_configured"
TABLES = [  # every table a kept read reads
    "accounts_organisation",
    "accounts_team",
    "autoqa_autoqasettings",
    "conversations_category",
    "scorecards_scorecard",
    "scorecards_scorecard_categories",
    "scorecards_scorecard_teams",
    "scorecards_scorecardversion",
    "scorecards_section",
    "scorecards_criterion",
    "reports_rollupstamp",
    "surveys_template",
]
TRIGGER = "configured"  # the triggers' names start with it

# The stamp of the request being served: absent outside a GET or HEAD request, [] until asked.
_request: ContextVar[list[int | None] | None] = ContextVar("configured_stamp", default=None)
_kept: dict[tuple[str, str], tuple[int, Any]] = {}
_lock = threading.Lock()


@contextmanager
def reading() -> Iterator[None]:
    """Serve kept reads for the duration (a GET or HEAD request)."""
    token = _request.set([])
    try:
        yield
    finally:
        _request.reset(token)


def kept(name: str, read: Callable[[], T]) -> T:
    """`read()`, or what it returned under the configuration in force. `name` names the read;
    what it returns must be read from `TABLES` only and must not be changed by its users."""
    memo = _request.get()
    if memo is None:
        return read()
    if not memo:
        memo.append(stamp())
    current = memo[0]
    if current is None:
        return read()
    key = (connection.alias, name)
    found = _kept.get(key)
    if found is not None and found[0] == current:
        return found[1]
    value = read()
    with _lock:
        _kept[key] = (current, value)
    return value


def stamp() -> int | None:
    """The configuration's stamp (None if its row is missing: nothing is kept then)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT stamp FROM {STAMP}")
        row = cursor.fetchone()
    return None if row is None else row[0]


# The triggers (installed by the server app's migrations).
_POSTGRES_NEW = "floor(random() * 9000000000000000000)::bigint"


def install(schema_editor: Any, tables: list[str] = TABLES) -> None:
    """Create the stamp (when missing) and the triggers on `tables` that renew it."""
    execute = schema_editor.execute
    postgres = schema_editor.connection.vendor == "postgresql"
    execute(
        f"CREATE TABLE IF NOT EXISTS {STAMP} (id integer PRIMARY KEY CHECK (id = 1), "
        "stamp bigint NOT NULL)"
    )
    new = _POSTGRES_NEW if postgres else "random()"
    execute(f"INSERT INTO {STAMP} (id, stamp) SELECT 1, {new} WHERE NOT EXISTS "
            f"(SELECT 1 FROM {STAMP})")  # fmt: skip
    if postgres:
        execute(
            f"CREATE OR REPLACE FUNCTION {TRIGGER}_renew() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN UPDATE {STAMP} SET stamp = {new}; RETURN NULL; END $$"
        )
    for table in tables:
        uninstall(schema_editor, [table])
        if postgres:
            # One per statement, truncation included (a test database's flush truncates).
            execute(
                f"CREATE TRIGGER {TRIGGER}_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {TRIGGER}_renew()"
            )
            continue
        for event in ("insert", "update", "delete"):
            execute(
                f"CREATE TRIGGER {TRIGGER}_{table}_{event} AFTER {event.upper()} ON {table} "
                f"BEGIN UPDATE {STAMP} SET stamp = random(); END"
            )


def uninstall(schema_editor: Any, tables: list[str] = TABLES) -> None:
    for table in tables:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}_{table} ON {table}")
        else:
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}_{table}_{event}")


def trigger_names(vendor: str, tables: list[str] = TABLES) -> set[str]:
    """The names `install` gives the triggers on `tables`."""
    if vendor == "postgresql":
        return {f"{TRIGGER}_{table}" for table in tables}
    return {f"{TRIGGER}_{t}_{e}" for t in tables for e in ("insert", "update", "delete")}
