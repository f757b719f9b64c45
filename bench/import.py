"""Import benchmark: native JSONL into SQLite or PostgreSQL versus plain executemany, same run.

    .venv/bin/python bench/import.py [--conversations 100000] [--messages 10]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sqa_import .venv/bin/python bench/import.py

Prints conversations/s and messages/s for SupportQA's importer (validation, upsert by
(source, external id), content hashes, derived KPI columns, repeat contacts, resumable batches)
beside two baselines that only json-decode each line and executemany the rows:
  * "same schema": into copies of SupportQA's own conversation and message tables, with every
    index they have (the importer's overhead over the database work the schema needs);
  * "minimal tables" (SQLite only): into two bare tables with one unique key each (what the
    schema costs).
On PostgreSQL the database in DATABASE_URL is dropped and created afresh; the same-schema
baseline writes into copies of the tables in it.
Then times the conversation list and the team page at that size (p95 and query count).
Target (issue #2): importer >= 50% of the baseline rate; page p95 < 200 ms.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from timing import QueryCounter, create_postgres_database, time_pages


def write_jsonl(path: Path, count: int, per_conversation: int, prefix: str) -> int:
    rng = random.Random(1)
    start = datetime.now(UTC) - timedelta(days=89)
    messages = 0
    with path.open("w") as out:
        for i in range(count):
            created = start + timedelta(seconds=rng.randrange(89 * 86400))
            body = []
            for seq in range(per_conversation):
                at = created + timedelta(minutes=3 * seq)
                body.append(
                    {
                        "author_kind": "customer" if seq % 2 == 0 else "agent",
                        "author": "" if seq % 2 == 0 else "bench.agent",
                        "sent_at": at.isoformat(),
                        "text": f"Message {seq} about order {rng.randrange(10**6)}; "
                        "thanks for waiting, here is what I found.",
                    }
                )
            messages += len(body)
            out.write(
                json.dumps(
                    {
                        "external_id": f"{prefix}{i}",
                        "channel": "chat",
                        "agent": "bench.agent",
                        "team": "Bench",
                        "created_at": created.isoformat(),
                        "customer": {"external_id": f"cust{i % 20000}", "name": "Customer"},
                        "status": "resolved",
                        "resolved_at": (created + timedelta(hours=2)).isoformat(),
                        "messages": body,
                    }
                )
                + "\n"
            )
    return messages


MINIMAL_SCHEMA = """
    CREATE TABLE conversation (id INTEGER PRIMARY KEY, source TEXT, external_id TEXT,
        channel TEXT, created_at TEXT, resolved_at TEXT, status TEXT, customer TEXT,
        UNIQUE(source, external_id));
    CREATE TABLE message (id INTEGER PRIMARY KEY, conversation_id INTEGER, seq INTEGER,
        author_kind TEXT, author TEXT, sent_at TEXT, text TEXT, UNIQUE(conversation_id, seq));
"""
CONVERSATION_TABLE, MESSAGE_TABLE = "conversations_conversation", "conversations_message"


def supportqa_schema(db_path: Path) -> str:
    """CREATE statements of SupportQA's conversation and message tables and their indexes
    (not the rollups' triggers: what they cost is part of the importer's figure)."""
    with sqlite3.connect(db_path) as connection:
        rows = connection.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name IN (?, ?) AND sql IS NOT NULL "
            "AND type IN ('table', 'index') ORDER BY type DESC",
            (CONVERSATION_TABLE, MESSAGE_TABLE),
        ).fetchall()
    return ";\n".join(sql for (sql,) in rows) + ";"


def baseline_same_schema(path: Path, db_path: Path, schema: str) -> float:
    """The same rows, column for column, into the same tables; no validation or derivation.
    The values the importer generates are made before the clock starts and inserted as they
    are: random public codes (a unique index of random keys costs more than one of sequential
    ones) and each line's SHA-256 as the content hash."""
    prepared = _generated_values(path)
    connection = sqlite3.connect(db_path)
    connection.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;" + schema)
    started = time.perf_counter()
    for conversations, messages in _same_schema_batches(path, *prepared):
        with connection:
            connection.executemany(CONVERSATION_SQL.replace("%s", "?"), conversations)
            connection.executemany(MESSAGE_SQL.replace("%s", "?"), messages)
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def baseline_same_schema_postgres(path: Path, url: str) -> float:
    """As `baseline_same_schema`, into copies of the tables in the same PostgreSQL database
    (`CREATE TABLE ... (LIKE ... INCLUDING ALL)`: columns, defaults and every index; no
    foreign keys and no rollup triggers, whose cost is part of the importer's figure), with
    psycopg's `executemany`, a transaction per 1,000 conversations."""
    import psycopg

    prepared = _generated_values(path)
    with psycopg.connect(url, autocommit=True) as connection:
        for table in (CONVERSATION_TABLE, MESSAGE_TABLE):
            connection.execute(f"DROP TABLE IF EXISTS bench_{table}")
            connection.execute(f"CREATE TABLE bench_{table} (LIKE {table} INCLUDING ALL)")
        connection.autocommit = False
        conversation_sql = CONVERSATION_SQL.replace(
            CONVERSATION_TABLE, f"bench_{CONVERSATION_TABLE}"
        )
        message_sql = MESSAGE_SQL.replace(MESSAGE_TABLE, f"bench_{MESSAGE_TABLE}")
        started = time.perf_counter()
        for conversations, messages in _same_schema_batches(path, *prepared):
            with connection.cursor() as cursor:
                cursor.executemany(conversation_sql, conversations)
                cursor.executemany(message_sql, messages)
            connection.commit()
        elapsed = time.perf_counter() - started
        connection.autocommit = True
        for table in (CONVERSATION_TABLE, MESSAGE_TABLE):
            connection.execute(f"DROP TABLE bench_{table}")
    return elapsed


CONVERSATION_SQL = (
    f"INSERT INTO {CONVERSATION_TABLE} (id, code, source, external_id, channel, subject, "
    "customer_id, agent_id, team_id, category_id, urgency, complexity, status, tags, "
    "created_at, first_response_at, resolved_at, reopen_count, message_count, content_hash, "
    "imported_at, first_response_seconds, resolution_seconds) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
    "%s, %s, %s)"
)
MESSAGE_SQL = (
    f"INSERT INTO {MESSAGE_TABLE} (conversation_id, seq, author_kind, author_id, "
    "author_name, sent_at, text, attachments) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)


def _generated_values(path: Path) -> tuple[list[str], list[str]]:
    """What the importer generates for each line (its content hash and a public code), made
    before a baseline's clock starts."""
    from supportqa.codes import new_code

    with path.open("rb") as source:
        digests = [hashlib.sha256(line.rstrip(b"\n")).hexdigest() for line in source]
    return digests, [new_code() for _ in digests]


def _same_schema_batches(
    path: Path, digests: list[str], codes: list[str]
) -> Iterator[tuple[list[tuple], list[tuple]]]:
    """The file's rows for the same-schema baselines, 1,000 conversations at a time."""
    conversations: list[tuple] = []
    messages: list[tuple] = []
    next_id = 1
    with path.open() as source:
        for line in source:
            r = json.loads(line)
            body = r["messages"]
            conversations.append(
                (
                    next_id,
                    codes[next_id - 1],
                    "native",
                    r["external_id"],
                    r["channel"],
                    "",
                    next_id % 20000 + 1,
                    1,
                    1,
                    None,
                    "",
                    "",
                    r["status"],
                    "[]",
                    r["created_at"],
                    body[1]["sent_at"],
                    r["resolved_at"],
                    0,
                    len(body),
                    digests[next_id - 1],
                    r["created_at"],
                    180,
                    7200,
                )
            )
            messages.extend(
                (
                    next_id,
                    seq,
                    m["author_kind"],
                    1 if seq % 2 else None,
                    "",
                    m["sent_at"],
                    m["text"],
                    "[]",
                )
                for seq, m in enumerate(body)
            )
            next_id += 1
            if len(conversations) >= 1000:
                yield conversations, messages
                conversations, messages = [], []
    if conversations:
        yield conversations, messages


def baseline(path: Path, db_path: Path) -> float:
    connection = sqlite3.connect(db_path)
    connection.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;" + MINIMAL_SCHEMA)
    started = time.perf_counter()
    next_id = 1
    conversations, messages = [], []
    with path.open() as source:
        for line in source:
            record = json.loads(line)
            conversations.append(
                (
                    next_id,
                    "native",
                    record["external_id"],
                    record["channel"],
                    record["created_at"],
                    record["resolved_at"],
                    record["status"],
                    record["customer"]["external_id"],
                )
            )
            messages.extend(
                (next_id, seq, m["author_kind"], m["author"], m["sent_at"], m["text"])
                for seq, m in enumerate(record["messages"])
            )
            next_id += 1
            if len(conversations) >= 1000:
                _flush(connection, conversations, messages)
        _flush(connection, conversations, messages)
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def _flush(connection: sqlite3.Connection, conversations: list, messages: list) -> None:
    with connection:
        connection.executemany("INSERT INTO conversation VALUES (?,?,?,?,?,?,?,?)", conversations)
        connection.executemany(
            "INSERT INTO message (conversation_id, seq, author_kind, author, "
            "sent_at, text) VALUES (?,?,?,?,?,?)",
            messages,
        )
    conversations.clear()
    messages.clear()


class PeakMemory:
    """The process's anonymous resident memory (RssAnon: its heap, not the pages of a mapped
    file, which are the system's file cache), sampled by a thread while in the block."""

    def __init__(self) -> None:
        self.start_mb = self.peak_mb = self.now()
        self._done = threading.Event()

    @staticmethod
    def now() -> float:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def _sample(self) -> None:
        while not self._done.wait(0.02):
            self.peak_mb = max(self.peak_mb, self.now())

    def __enter__(self) -> PeakMemory:
        self.start_mb = self.peak_mb = self.now()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, self.now())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=10, help="messages per conversation")
    parser.add_argument("--repeat", type=int, default=20, help="requests per page timing")
    parser.add_argument("--no-pages", action="store_true", help="time the import only")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sqa-bench-"))
    small, big = work / "small.jsonl", work / "big.jsonl"
    write_jsonl(small, 1000, args.messages, "s")
    total_messages = write_jsonl(big, args.conversations, args.messages, "b")

    url = os.environ.get("DATABASE_URL", "")
    postgres = url.startswith("postgres")
    if postgres:
        create_postgres_database(url, fresh=True)
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{work / 'supportqa.sqlite3'}"
    os.environ["SUPPORTQA_DATA_DIR"] = str(work)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportqa.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from supportqa.accounts.models import Membership, Role, Team, User
    from supportqa.integrations.importer import import_conversations

    call_command("migrate", verbosity=0)
    if postgres:
        same_seconds = baseline_same_schema_postgres(big, url)
        base_seconds = None  # the minimal-tables baseline is SQLite's only
    else:
        schema = supportqa_schema(work / "supportqa.sqlite3")
        same_seconds = baseline_same_schema(big, work / "same.sqlite3", schema)
        base_seconds = baseline(big, work / "baseline.sqlite3")
    team = Team.objects.create(name="Bench")
    agent = User.objects.create(username="bench.agent", role=Role.AGENT)
    Membership.objects.create(user=agent, team=team)
    reviewer = User.objects.create(username="bench.qa", role=Role.QA)
    client = Client()
    client.force_login(reviewer)
    paths = {
        "conversation list": "/conversations/",
        "conversation list, filtered": f"/conversations/?team={team.code}&channel=chat",
        "team page (90 days)": f"/teams/{team.code}/",
    }

    counter = QueryCounter()
    import_conversations(small)
    at_small = time_pages(client, paths, args.repeat, counter)
    memory = PeakMemory()
    started = time.perf_counter()
    with memory:
        report = import_conversations(big)
    ours_seconds = time.perf_counter() - started
    assert report.created == args.conversations and report.error_count == 0, report.summary()
    print(f"IMPORT_SECONDS {ours_seconds:.3f} SAME_SCHEMA_SECONDS {same_seconds:.3f}")

    n = args.conversations
    vendor = "PostgreSQL" if postgres else "SQLite"
    print(f"\nImport of {n:,} conversations / {total_messages:,} messages (native JSONL, {vendor})")
    print(
        f"{'':38}{'seconds':>9}{'conv/s':>10}{'msg/s':>11}{'vs same schema':>16}{'vs minimal':>12}"
    )
    for label, seconds in (
        ("baseline: executemany, same schema", same_seconds),
        ("baseline: executemany, minimal tables", base_seconds),
        ("SupportQA importer", ours_seconds),
    ):
        if seconds is None:
            continue
        minimal = f"{base_seconds / seconds:12.0%}" if base_seconds else f"{'-':>12}"
        print(
            f"{label:38}{seconds:9.1f}{n / seconds:10,.0f}{total_messages / seconds:11,.0f}"
            f"{same_seconds / seconds:16.0%}{minimal}"
        )
    print(
        f"Importer's peak memory of its own (anonymous resident, sampled every 20 ms): "
        f"{memory.peak_mb:,.0f} MB, of which {memory.peak_mb - memory.start_mb:,.0f} MB above "
        f"the process before the import; file {big.stat().st_size / 2**20:,.0f} MB"
    )
    if args.no_pages:
        return
    at_big = time_pages(client, paths, args.repeat, counter)
    print(f"\nPages: median and p95 of {args.repeat} requests (ms), queries per request")
    print(f"{'':30}{'1,000 conv':>22}{f'{n + 1000:,} conv':>24}")
    print(f"{'':30}{'median':>8}{'p95':>8}{'q':>6}{'median':>10}{'p95':>8}{'q':>6}")
    for name in paths:
        small_row, big_row = at_small[name], at_big[name]
        print(
            f"{name:30}{small_row[0]:8.1f}{small_row[1]:8.1f}{small_row[2]:6d}"
            f"{big_row[0]:10.1f}{big_row[1]:8.1f}{big_row[2]:6d}"
        )


if __name__ == "__main__":
    main()
