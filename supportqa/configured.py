"""Reads of the installation's configuration (the organisation, AutoQA's settings, the active
scorecards with their conditions and current versions, the categories, the criteria's names,
the survey templates, the settings the rollups were computed under), kept by each web
process while the configuration stays the same.

Every write to a configuration table (`TABLES`), whatever makes it (a form, the admin, a bulk
update, raw SQL), gives the one-row table `STAMP` a new random stamp, through database
triggers (server migrations; installed again after every `migrate`, as SQLite drops a table's
triggers when a migration remakes it). A read kept under a stamp is served again only while
the stamp is still the database's: a page view asks for the stamp once, with one uncompiled
statement, instead of building and compiling a statement for each read. Random, not a counter,
so a rolled-back change's stamp never comes back for a different configuration. The stamp is
read before what is kept under it, and nothing is kept or served inside a transaction the
page view opened (it may hold its own uncommitted changes), so what is kept under a stamp is
committed and no older than it; a read during which the stamp changed (a write of the same
request's) is not kept. A backup is restored with the server stopped (`supportqa restore`),
so no process holds reads kept under the stamp it replaces.

Kept reads serve GET and HEAD requests only (`reading`, the middleware): a POST, a worker or a
command reads the database every time, so what a request writes and then reads agrees, and no
object that a writer may change is shared between requests. (A page view that commits a
change to the configuration, as `Organisation.current` may when there is none, is served the
change from the next request on.)

On PostgreSQL each write to a configuration table updates the one stamp row, so transactions
that change the configuration wait for each other's commit; such changes are rare (an admin's
form, a new team or category in an import).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction

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
_EVENTS = ("insert", "update", "delete")  # SQLite's row triggers, one per event


class _Request:
    """A page view's stamp (read at its first kept read) and how many transactions were open
    when it began (none when serving; a test's own)."""

    def __init__(self) -> None:
        self.depth = len(connection.atomic_blocks)
        self.stamp: int | None = None
        self.asked = False


_request: ContextVar[_Request | None] = ContextVar("configured_request", default=None)
_kept: dict[str, tuple[int, Any]] = {}


@contextmanager
def reading() -> Iterator[None]:
    """Serve kept reads for the duration (a GET or HEAD request)."""
    token = _request.set(_Request())
    try:
        yield
    finally:
        _request.reset(token)


def kept(name: str, read: Callable[[], T]) -> T:
    """`read()`, or what it returned under the configuration in force. `name` names the read;
    what it returns must be read from `TABLES` only and must not be changed by its users."""
    request = _request.get()
    if request is None or len(connection.atomic_blocks) > request.depth:
        return read()  # not a page view, or in a transaction it opened
    if not request.asked:
        request.stamp, request.asked = stamp(), True
    current = request.stamp
    if current is None:
        return read()
    found = _kept.get(name)
    if found is not None and found[0] == current:
        return found[1]
    value = read()
    if stamp() == current:  # nothing changed it meanwhile (a write of this very request's)
        _kept[name] = (current, value)  # one assignment: threads see the old pair or the new
    return value


def stamp() -> int | None:
    """The configuration's stamp; None (nothing is kept) without one, as before `migrate`
    has made it. (Inside a transaction the failure is raised: on PostgreSQL it has ended the
    transaction, and its next statement would fail without saying why.)"""
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT stamp FROM {STAMP}")
            row = cursor.fetchone()
    except DatabaseError:
        if connection.in_atomic_block:
            raise
        return None
    return None if row is None else row[0]


def after_migrate(using: str = DEFAULT_DB_ALIAS, **_: Any) -> None:
    """Install the triggers again where one is missing (post_migrate): a migration that made
    SQLite remake a configuration table left it without them. Nothing before the stamp's
    migration has made it."""
    database = connections[using]
    with database.cursor() as cursor:
        if STAMP not in database.introspection.table_names(cursor):
            return
    if trigger_names(database.vendor) <= triggers_in(database):
        return
    with transaction.atomic(using=using), database.cursor() as cursor:
        for statement in installing(database.vendor):
            cursor.execute(statement)


def triggers_in(database: Any) -> set[str]:
    """The names of the triggers in a database."""
    with database.cursor() as cursor:
        if database.vendor == "postgresql":
            cursor.execute(
                "SELECT trigger_name FROM information_schema.triggers "
                "WHERE event_object_schema = current_schema()"
            )
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {name for (name,) in cursor.fetchall()}


# The triggers (installed by the server app's migrations).
_POSTGRES_NEW = "floor(random() * 9000000000000000000)::bigint"


def installing(vendor: str) -> list[str]:
    """The statements that create the stamp (when missing) and, afresh, the triggers that
    renew it, then renew it (writes made while a trigger was missing renewed nothing)."""
    postgres = vendor == "postgresql"
    new = _POSTGRES_NEW if postgres else "random()"
    statements = [
        f"CREATE TABLE IF NOT EXISTS {STAMP} (id integer PRIMARY KEY CHECK (id = 1), "
        "stamp bigint NOT NULL)",
        f"INSERT INTO {STAMP} (id, stamp) SELECT 1, {new} WHERE NOT EXISTS (SELECT 1 FROM {STAMP})",
        *uninstalling(vendor),
    ]
    if postgres:
        statements.append(
            f"CREATE OR REPLACE FUNCTION {TRIGGER}_renew() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN UPDATE {STAMP} SET stamp = {new}; RETURN NULL; END $$"
        )
    for table in TABLES:
        if postgres:
            # One per statement, truncation included (a test database's flush truncates).
            statements.append(
                f"CREATE TRIGGER {TRIGGER}_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {TRIGGER}_renew()"
            )
            continue
        statements += [
            f"CREATE TRIGGER {TRIGGER}_{table}_{event} AFTER {event.upper()} ON {table} "
            f"BEGIN UPDATE {STAMP} SET stamp = random(); END"
            for event in _EVENTS
        ]
    statements.append(f"UPDATE {STAMP} SET stamp = {new}")
    return statements


def uninstalling(vendor: str) -> list[str]:
    """The statements that drop the triggers (not the stamp)."""
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {TRIGGER}_{table} ON {table}" for table in TABLES]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in sorted(trigger_names(vendor))]


def trigger_names(vendor: str) -> set[str]:
    """The names `installing` gives the triggers."""
    if vendor == "postgresql":
        return {f"{TRIGGER}_{table}" for table in TABLES}
    return {f"{TRIGGER}_{t}_{e}" for t in TABLES for e in _EVENTS}
