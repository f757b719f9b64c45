"""Bulk writes keep the query planner informed: statistics follow a table a long import fills
(supportqa.bulk.GrowingTables), and PostgreSQL sessions do not compile statements just in time
(supportqa.envconfig)."""

from __future__ import annotations

from pathlib import Path

from django.db import connection

from supportqa.bulk import GrowingTables, planner_rows
from supportqa.conversations.models import Conversation
from supportqa.envconfig import database_from_url
from tests.conftest import make_conversation


def test_statistics_are_refreshed_each_time_the_table_has_doubled(cast):
    tables = GrowingTables(Conversation, minimum=3)
    table = Conversation._meta.db_table
    before = tables.known
    assert before == planner_rows(table)
    grow = max(before, 3)
    for i in range(grow):
        make_conversation(cast.agent, cast.team, f"grow{i}")
    count = Conversation.objects.count()

    tables.wrote(grow - 1)  # short of doubling: the planner is not asked to look again
    assert planner_rows(table) == before
    tables.wrote(1)
    assert planner_rows(table) == count == tables.known
    assert tables.since == 0

    make_conversation(cast.agent, cast.team, "one more")
    tables.wrote(1)  # far from doubling again
    assert planner_rows(table) == count


def test_postgresql_sessions_run_without_just_in_time_compilation(db):
    options = database_from_url("postgres://u@host/db", base_dir=Path("."))["OPTIONS"]
    assert options == {"options": "-c jit=off"}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW jit")
            assert cursor.fetchone()[0] == "off"
