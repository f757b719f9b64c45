"""Import benchmark: native JSONL into SQLite versus plain sqlite3.executemany, same run.

    .venv/bin/python bench/import.py [--conversations 100000] [--messages 10]

Prints conversations/s and messages/s for SupportQA's importer (validation, upsert by
(source, external id), content hashes, derived KPI columns, repeat contacts, resumable batches)
beside two baselines that only json-decode each line and executemany the rows:
  * "same schema": into copies of SupportQA's own conversation and message tables, with every
    index they have (the importer's overhead over the database work the schema needs);
  * "minimal tables": into two bare tables with one unique key each (what the schema costs).
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
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from timing import QueryCounter, time_pages


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
    from supportqa.codes import new_code

    with path.open("rb") as source:
        digests = [hashlib.sha256(line.rstrip(b"\n")).hexdigest() for line in source]
    codes = [new_code() for _ in digests]
    connection = sqlite3.connect(db_path)
    connection.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;" + schema)
    conversation_sql = (
        f"INSERT INTO {CONVERSATION_TABLE} (id, code, source, external_id, channel, subject, "
        "customer_id, agent_id, team_id, category_id, urgency, complexity, status, tags, "
        "created_at, first_response_at, resolved_at, reopen_count, message_count, content_hash, "
        "imported_at, first_response_seconds, resolution_seconds) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
    )
    message_sql = (
        f"INSERT INTO {MESSAGE_TABLE} (conversation_id, seq, author_kind, author_id, "
        "author_name, sent_at, text, attachments) VALUES (?,?,?,?,?,?,?,?)"
    )
    started = time.perf_counter()
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
                _flush_sql(connection, conversation_sql, conversations, message_sql, messages)
        _flush_sql(connection, conversation_sql, conversations, message_sql, messages)
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def _flush_sql(
    connection: sqlite3.Connection,
    conversation_sql: str,
    conversations: list,
    message_sql: str,
    messages: list,
) -> None:
    with connection:
        connection.executemany(conversation_sql, conversations)
        connection.executemany(message_sql, messages)
    conversations.clear()
    messages.clear()


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
    started = time.perf_counter()
    report = import_conversations(big)
    ours_seconds = time.perf_counter() - started
    assert report.created == args.conversations and report.error_count == 0, report.summary()
    print(f"IMPORT_SECONDS {ours_seconds:.3f} SAME_SCHEMA_SECONDS {same_seconds:.3f}")
    if args.no_pages:
        return
    at_big = time_pages(client, paths, args.repeat, counter)

    n = args.conversations
    print(f"\nImport of {n:,} conversations / {total_messages:,} messages (native JSONL, SQLite)")
    print(
        f"{'':38}{'seconds':>9}{'conv/s':>10}{'msg/s':>11}{'vs same schema':>16}{'vs minimal':>12}"
    )
    for label, seconds in (
        ("baseline: executemany, same schema", same_seconds),
        ("baseline: executemany, minimal tables", base_seconds),
        ("SupportQA importer", ours_seconds),
    ):
        print(
            f"{label:38}{seconds:9.1f}{n / seconds:10,.0f}{total_messages / seconds:11,.0f}"
            f"{same_seconds / seconds:16.0%}{base_seconds / seconds:12.0%}"
        )
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
