"""Bulk writes keep PostgreSQL's planner informed: statistics follow a table a long import
fills (supportqa.bulk.GrowingTables), and sessions do not compile statements just in time
(supportqa.apps.without_jit)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from supportqa.apps import utc_timestamp_loader, utc_timestamps, without_jit
from supportqa.bulk import GrowingTables, planner_rows
from supportqa.conversations.models import Conversation
from tests.conftest import make_conversation

TABLE = connection.ops.quote_name(Conversation._meta.db_table)


def _add(cast, count: int, prefix: str) -> int:
    for i in range(count):
        make_conversation(cast.agent, cast.team, f"{prefix}{i}")
    return Conversation.objects.count()


def test_statistics_are_refreshed_each_time_the_table_has_doubled(cast):
    tables = GrowingTables(Conversation, minimum=3)
    if connection.vendor != "postgresql":  # SQLite is analysed once, at the end of an import
        _add(cast, 5, "sqlite")
        tables.wrote(5)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
            stats = cursor.fetchone() is not None
        if stats:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = %s",
                    [Conversation._meta.db_table],
                )
                stats = cursor.fetchone()[0] > 0
        assert not stats and tables.since == 5
        return

    before = tables.known
    assert before == planner_rows(TABLE)
    grow = max(before, 3)
    count = _add(cast, grow, "first")
    tables.wrote(grow - 1)  # short of the minimum or of doubling: the planner keeps its count
    assert planner_rows(TABLE) == before
    tables.wrote(1)
    assert planner_rows(TABLE) == count == tables.known
    assert tables.since == 0

    # Doubling is counted from what the planner knows now, not from the minimum.
    total = _add(cast, count, "second")
    tables.wrote(count - 1)
    assert planner_rows(TABLE) == count
    tables.wrote(1)
    assert planner_rows(TABLE) == total == 2 * count


def test_postgresql_sessions_run_without_just_in_time_compilation(db):
    with CaptureQueriesContext(connection) as sent:
        without_jit(None, connection)
    if connection.vendor == "postgresql":
        assert [q["sql"] for q in sent] == ["SET jit = off"]
        with connection.cursor() as cursor:  # and the test's own session has it already
            cursor.execute("SHOW jit")
            assert cursor.fetchone()[0] == "off"
    else:
        assert len(sent) == 0  # SQLite has no such setting: nothing is sent


def test_postgresql_timestamps_are_read_as_djangos_own_loader_reads_them(cast):
    """utc_timestamps: PostgreSQL's sessions read timestamps with the standard library's
    parser, to the same aware UTC datetimes as Django's loader (every fraction length,
    the first and last years, an offset other than UTC's), and through the ORM."""
    from datetime import UTC

    conversation = make_conversation(cast.agent, cast.team, "times")
    if connection.vendor != "postgresql":
        with CaptureQueriesContext(connection) as sent:
            utc_timestamps(None, connection)
        assert len(sent) == 0  # SQLite's own converters read its text
        return
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader
    from psycopg.pq import Format

    ours = utc_timestamp_loader()
    adapters = connection.connection.adapters
    assert adapters.get_loader(1184, Format.TEXT) is ours  # registered on the session
    texts = ["2026-12-04 23:38:49+00", "2026-12-04 23:38:49.4+00", "2026-12-04 23:38:49.467631",
             "0001-01-01 00:00:00+00", "9999-12-31 23:59:59.999999+00",
             "2026-03-29 01:30:00.05+05:30", "2024-02-29 12:00:00.000001-08"]  # fmt: skip
    select = "SELECT v::timestamptz FROM unnest(%s::text[]) WITH ORDINALITY AS t(v, i) ORDER BY i"

    def read() -> list:
        with connection.cursor() as cursor:  # a cursor takes the session's loaders as it opens
            cursor.execute(select, [texts])
            return [row[0] for row in cursor.fetchall()]

    found = read()

    class Djangos(BaseTzLoader):
        timezone = UTC

    adapters.register_loader("timestamptz", Djangos)
    try:
        expected = read()
    finally:
        adapters.register_loader("timestamptz", ours)
    assert found == expected and len(found) == len(texts)
    for text in ("infinity", "0044-03-15 12:00:00+00 BC"):  # Django's loader refuses them
        with pytest.raises(DatabaseError), connection.cursor() as cursor:
            cursor.execute("SELECT %s::timestamptz", [text])
            cursor.fetchall()
    assert all(value.tzinfo == UTC and value.utcoffset().total_seconds() == 0 for value in found)
    assert found[5].hour == 20 and found[5].minute == 0  # 01:30 at +05:30, in UTC
    stored = Conversation.objects.get(pk=conversation.pk).created_at
    assert stored == conversation.created_at and stored.tzinfo == UTC


def test_update_rows_sets_each_rows_own_values_in_one_statement(cast):
    """`update_rows` writes each row's values to the row its key names, only where the extra
    condition holds, with NULLs and times as the fields prepare them; on PostgreSQL in one
    statement (statement-level triggers fire once for the batch)."""
    from datetime import UTC, datetime

    from supportqa.autoqa.models import Job
    from supportqa.bulk import update_rows

    make_conversation(cast.agent, cast.team, "unqueued")  # conversation ids run ahead of jobs'
    first, second, third = (make_conversation(cast.agent, cast.team, f"u{i}") for i in range(3))
    jobs = {
        c.pk: Job.objects.create(conversation=c, status="running", claimed_by=worker)
        for c, worker in ((first, "me"), (second, "me"), (third, "someone else"))
    }
    # Job ids differ from conversation ids here, so matching by the wrong column shows.
    assert all(job.pk != pk for pk, job in jobs.items())
    Job.objects.filter(pk=jobs[first.pk].pk).update(confidence=0.5)
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with CaptureQueriesContext(connection) as queries:
        update_rows(
            Job,
            ("status", "confidence", "updated_at"),
            [
                ("done", None, when, first.pk),
                ("done", 0.25, when, second.pk),
                ("done", 0.75, when, third.pk),
            ],  # fmt: skip
            key="conversation",
            where="claimed_by = %s",
            params=["me"],
        )
    if connection.vendor == "postgresql":
        assert len(queries) == 1
    found = {
        j.conversation_id: (j.status, j.confidence, j.updated_at)
        for j in Job.objects.filter(pk__in=[j.pk for j in jobs.values()])
    }
    assert found[first.pk] == ("done", None, when)
    assert found[second.pk] == ("done", 0.25, when)
    assert found[third.pk][:2] == ("running", None)  # another worker's claim is left alone
    # The condition is bracketed: an OR in it still meets each row's own key.
    update_rows(
        Job,
        ("error",),
        [("first", first.pk), ("second", second.pk)],
        key="conversation",
        where="status = %s OR status = %s",
        params=["done", "done"],
    )
    errors = dict(Job.objects.filter(status="done").values_list("conversation_id", "error"))
    assert errors == {first.pk: "first", second.pk: "second"}
    update_rows(Job, ("error",), [])  # nothing to write: no statement, no error
