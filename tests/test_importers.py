from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from supportqa.accounts.models import Team, User
from supportqa.conversations.models import Conversation, Message
from supportqa.integrations.importer import (
    ImportAborted,
    ImportFailed,
    import_conversations,
    import_surveys,
    import_users,
)
from supportqa.integrations.models import ImportRun
from supportqa.surveys.models import SurveyResponse, SurveySent

TWITTER = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "twitter_customer_care" / "dev.json"
)


def record(external_id: str, **overrides) -> dict:
    body = {
        "external_id": external_id,
        "channel": "chat",
        "agent": "agent",
        "team": "Team A",
        "created_at": "2026-10-01T09:00:00Z",
        "customer": {"external_id": "cust-1", "name": "Robin", "email": "robin@example.com"},
        "messages": [
            {"author_kind": "customer", "sent_at": "2026-10-01T09:00:00Z", "text": "Hello"},
            {
                "author_kind": "agent",
                "author": "agent",
                "sent_at": "2026-10-01T09:03:00Z",
                "text": "Hi Robin",
            },
        ],
    }
    body.update(overrides)
    return body


def jsonl(*records) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def errors_of(report) -> list[tuple[int, str]]:
    return [(e.line, e.field) for e in report.errors]


def test_native_import_creates_conversation_with_messages(cast):
    report = import_conversations(jsonl(record("n1")))
    assert (report.created, report.error_count) == (1, 0)
    conversation = Conversation.objects.get(source="native", external_id="n1")
    assert conversation.agent == cast.agent and conversation.team == cast.team
    assert conversation.first_response_seconds == 180
    assert list(conversation.messages.values_list("seq", "author_kind")) == [
        (0, "customer"),
        (1, "agent"),
    ]


def test_reimport_updates_and_never_duplicates(cast):
    import_conversations(jsonl(record("n1")))
    again = import_conversations(jsonl(record("n1")))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    changed = record("n1", subject="Changed")
    changed["messages"].append(
        {"author_kind": "customer", "sent_at": "2026-10-01T09:05:00Z", "text": "Thanks"}
    )
    report = import_conversations(jsonl(changed))
    assert (report.created, report.updated) == (0, 1)
    conversation = Conversation.objects.get(external_id="n1")
    assert conversation.subject == "Changed"
    assert conversation.messages.count() == 3
    assert Conversation.objects.filter(external_id="n1").count() == 1


def test_changed_reimport_keeps_message_identity_for_evidence(cast):
    import_conversations(jsonl(record("n1")))
    native = Message.objects.filter(conversation__source="native").order_by("seq")
    first_ids = list(native.values_list("pk", flat=True))
    import_conversations(jsonl(record("n1", subject="New subject")))
    assert list(native.values_list("pk", flat=True)) == first_ids


@pytest.mark.parametrize(
    ("line", "field", "reason_part"),
    [
        ('{"external_id": 5, "messages": "nope"}', "messages", "non-empty list"),
        (
            '{"messages": [{"author_kind": "customer", "sent_at": "2026-10-01T09:00:00Z", '
            '"text": "x"}]}',
            "external_id",
            "required",
        ),
        (json.dumps(record("x", created_at="yesterday")), "created_at", "ISO-8601"),
        (json.dumps(record("x", channel="pigeon")), "channel", "not one of"),
        (json.dumps(record("x", reopen_count="many")), "reopen_count", "whole number"),
        (json.dumps({**record("x"), "external_id": ["a"]}), "external_id", "must be text"),
        ('{"external_id": "x", ', "-", "invalid JSON"),
        ("[1, 2]", "-", "JSON object"),
        (json.dumps(record("x", agent="ghost")), "agent", "unknown"),
        (json.dumps(record("x", resolved_at="2026-09-01T00:00:00Z")), "resolved_at", "earlier"),
    ],
)
def test_bad_rows_are_reported_with_line_field_and_reason(cast, line, field, reason_part):
    data = jsonl(record("good")) + line.encode() + b"\n"
    report = import_conversations(data)
    assert report.created == 1
    assert report.error_count == 1
    error = report.errors[0]
    assert (error.line, error.field) == (2, field)
    assert reason_part in error.reason


def test_bad_message_timestamp_names_the_message(cast):
    bad = record("x")
    bad["messages"][1]["sent_at"] = "2026-13-45T99:00"
    report = import_conversations(jsonl(bad))
    assert errors_of(report) == [(1, "messages[1].sent_at")]


def test_huge_field_is_rejected_not_truncated(cast):
    huge = record("x")
    huge["messages"][0]["text"] = "a" * 100_001
    report = import_conversations(jsonl(huge))
    assert errors_of(report) == [(1, "messages[0].text")]
    assert "limit is 100000" in report.errors[0].reason
    assert not Conversation.objects.filter(source="native").exists()


def test_duplicate_ids_in_one_file_are_rejected(cast):
    report = import_conversations(jsonl(record("d"), record("d", subject="again")))
    assert report.created == 1
    assert errors_of(report) == [(2, "external_id")]
    assert "first on line 1" in report.errors[0].reason


def test_wrong_encoding_is_reported_per_line(cast):
    data = jsonl(record("ok")) + '{"external_id": "café"}\n'.encode("latin-1")
    report = import_conversations(data)
    assert report.created == 1
    assert errors_of(report) == [(2, "-")]
    assert "UTF-8" in report.errors[0].reason


def test_strict_mode_writes_nothing_when_any_row_is_bad(cast):
    with pytest.raises(ImportAborted) as aborted:
        import_conversations(jsonl(record("a"), record("b", channel="fax")), strict=True)
    assert aborted.value.report.error_count == 1
    assert not Conversation.objects.filter(source="native").exists()
    assert ImportRun.objects.get().status == ImportRun.Status.ABORTED


def test_redact_masks_personal_data_on_the_way_in(cast):
    leaky = record("r")
    leaky["messages"][0]["text"] = "my card is 4111 1111 1111 1111, mail robin@example.com"
    import_conversations(jsonl(leaky), redact=True)
    text = Message.objects.get(seq=0, conversation__source="native").text
    assert text == "my card is [CARD], mail [EMAIL]"


def test_create_missing_creates_agents_teams_and_categories(db):
    import_conversations(
        jsonl(record("m", agent="new.agent", team="New team", category="Refunds")),
        create_missing=True,
    )
    conversation = Conversation.objects.select_related("agent", "team", "category").get()
    assert conversation.agent.username == "new.agent"
    assert not conversation.agent.has_usable_password()
    assert conversation.team.name == "New team"
    assert conversation.category.name == "Refunds"


def test_interrupted_import_resumes_and_ends_with_exactly_the_right_data(cast, settings):
    settings.SUPPORTQA_IMPORT_BATCH = 2
    data = jsonl(*[record(f"k{i}") for i in range(7)])

    class Killed(Exception):
        pass

    def crash_after_second_batch(run):
        if run.items_done == 4:
            raise Killed("the disk went away")

    with pytest.raises(ImportFailed, match="the disk went away"):
        import_conversations(data, on_batch_committed=crash_after_second_batch)
    failed = ImportRun.objects.get()
    assert failed.status == ImportRun.Status.FAILED  # never left "running"
    assert "Killed: the disk went away" in failed.failure
    native = Conversation.objects.filter(source="native")
    assert native.count() == 4
    report = import_conversations(data)
    assert report.resumed_from == 4
    assert report.created == 7  # the run's totals include the committed part
    assert native.count() == 7
    assert Message.objects.filter(conversation__source="native").count() == 14
    assert ImportRun.objects.get().status == ImportRun.Status.COMPLETED


def test_killed_process_rerun_gives_exact_data(tmp_path, migrated_sqlite):
    """A real `supportqa import` killed with SIGKILL mid-way, then run again (SQLite file)."""
    db_file = tmp_path / "kill.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db_file}",
        "SUPPORTQA_IMPORT_BATCH": "50",
        "SUPPORTQA_DATA_DIR": str(tmp_path),
    }
    cli = [sys.executable, "-m", "supportqa"]
    migrated_sqlite(db_file)
    source = tmp_path / "big.jsonl"
    source.write_bytes(jsonl(*[record(f"p{i}", agent="", team="") for i in range(3000)]))
    env_slow = {**env, "SUPPORTQA_IMPORT_ECHO_BATCHES": "1"}
    process = subprocess.Popen(
        [*cli, "import", "native", str(source), "--no-progress"],
        env=env_slow,
        stdout=subprocess.PIPE,
        text=True,
    )
    for line in process.stdout:  # wait until two batches have been committed, then kill
        if line.startswith("batch committed") and int(line.split()[-1]) >= 100:
            process.send_signal(signal.SIGKILL)
            break
    process.wait()
    assert process.returncode == -signal.SIGKILL
    rerun = subprocess.run(
        [*cli, "import", "native", str(source), "--no-progress"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "3000 created" in rerun.stdout or "resumed" in rerun.stdout
    import sqlite3

    with sqlite3.connect(db_file) as connection:
        conversations = connection.execute(
            "select count(*), count(distinct external_id) from conversations_conversation"
        ).fetchone()
        messages = connection.execute("select count(*) from conversations_message").fetchone()
    assert conversations == (3000, 3000)
    assert messages == (6000,)


def test_message_csv_groups_rows_into_conversations(cast):
    data = (
        b"conversation_id,channel,agent,team,created_at,author_kind,author,sent_at,text\n"
        b"c1,email,agent,Team A,2026-10-01T09:00:00Z,customer,,2026-10-01T09:00:00Z,Hi\n"
        b"c2,chat,agent,Team A,,customer,,2026-10-01T10:00:00Z,Hello\n"
        b'c1,email,agent,Team A,,agent,agent,2026-10-01T09:30:00Z,"Hi, there"\n'
        b"c3,chat,agent,Team A,,customer,,not-a-time,Bad\n"
    )
    report = import_conversations(data, kind="csv")
    assert report.created == 2
    assert errors_of(report) == [(5, "messages[0].sent_at")]
    c1 = Conversation.objects.get(external_id="c1")
    assert c1.channel == "email" and c1.message_count == 2


def test_message_csv_missing_column_is_reported(cast):
    report = import_conversations(b"conversation_id,text\nc1,hi\n", kind="csv")
    assert report.error_count == 1
    assert report.errors[0].field == "author_kind,sent_at"


@pytest.mark.skipif(not TWITTER.exists(), reason="shared data not present")
def test_twitter_customer_care_dev_set_imports_all_525(db):
    report = import_conversations(TWITTER, kind="twitter", create_missing=True)
    assert (report.created, report.error_count) == (525, 0)  # PROVENANCE.md: 525 dialogues
    assert Team.objects.count() == 24  # PROVENANCE.md: 24 companies in dev
    replied = Conversation.objects.filter(first_response_at__isnull=False).count()
    assert replied == 525  # every dialogue ends with the agent's URL reply


def test_survey_import_links_conversation_and_records_sent(cast):
    data = (
        b"response_id,conversation_id,conversation_source,csat,nps,ces,answered_at\n"
        b"s1,c-agent,test,5,10,7,2026-10-02T10:00:00Z\n"
        b"s2,missing,test,3,,,2026-10-02T10:00:00Z\n"
        b"s3,c-agent,test,9,,,2026-10-02T10:00:00Z\n"
    )
    report = import_surveys(data)
    assert report.created == 1
    assert sorted(errors_of(report)) == [(3, "conversation_id"), (4, "csat")]
    response = SurveyResponse.objects.get()
    assert response.agent == cast.agent
    assert SurveySent.objects.count() == 1
    again = import_surveys(data)
    assert (again.created, again.unchanged) == (0, 1)


def test_user_import_upserts_people_teams_and_skills(db):
    data = (
        b"username,role,email,display_name,teams,lead_of,skills\n"
        b"amy,agent,amy@example.com,Amy,Support,,Billing inquiry:4\n"
        b"lee,lead,,Lee,,Support,\n"
        b"bad user,agent,,,,,\n"
        b"zed,wizard,,,,,\n"
    )
    report = import_users(data)
    assert report.created == 2
    assert sorted(errors_of(report)) == [(4, "username"), (5, "role")]
    amy = User.objects.get(username="amy")
    assert amy.skills.get().level == 4
    assert User.objects.get(username="lee").memberships.get().is_lead


def test_user_import_strict_writes_nothing(db):
    with pytest.raises(ImportAborted):
        import_users(b"username,role\namy,agent\nzed,wizard\n", strict=True)
    assert not User.objects.filter(username="amy").exists()


def test_cli_export_round_trips_and_audit_verify(cast, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    out = tmp_path / "all.jsonl"
    call_command("export", "conversations", "--out", str(out), stdout=StringIO())
    assert len(out.read_text().splitlines()) == 3
    Conversation.objects.all().delete()
    report = import_conversations(out)
    assert (report.created, report.error_count) == (3, 0)
    reviews = tmp_path / "reviews.csv"
    call_command("export", "reviews", "--format", "csv", "--out", str(reviews), stdout=StringIO())
    assert reviews.read_text().startswith("review_id,")
    text = StringIO()
    call_command("audit_verify", stdout=text)
    assert "audit log intact" in text.getvalue()


def test_audit_verify_fails_on_tampering(cast):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from supportqa.audit.models import AuditEvent

    import_conversations(jsonl(record("t1")))
    AuditEvent.objects.update(action="edited")
    with pytest.raises(CommandError, match="altered"):
        call_command("audit_verify")


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("2026-10-01T09:00:00+00:00", True),
        ("2026-10-01T09:00:00.250000+00:00", True),
        ("2026-10-01T09:00:00.000000+00:00", False),  # isoformat() drops a zero fraction
        ("2026-10-01T09:00:00.250+00:00", False),
        ("2026-10-01T09:00:00Z", False),
        ("2026-10-01 09:00:00+00:00", False),
        ("2026-10-01T11:00:00+02:00", False),
        ("2026-W40-4T09:00:00+00:00", False),  # an ISO week date of the same length
    ],
)
def test_source_timestamp_text_is_reused_only_when_it_is_what_isoformat_gives(text, canonical):
    from datetime import UTC, datetime

    from supportqa.integrations.records import _is_utc_isoformat

    assert _is_utc_isoformat(text) is canonical
    assert (datetime.fromisoformat(text).astimezone(UTC).isoformat() == text) is canonical


def test_timestamps_are_stored_alike_however_the_source_wrote_them(cast):
    from django.db import connection

    def at(text):
        return [
            {"author_kind": "customer", "sent_at": text, "text": "Hello"},
            {"author_kind": "agent", "author": "agent", "sent_at": text, "text": "Hi"},
        ]

    import_conversations(
        jsonl(
            record("z", messages=at("2026-10-01T09:00:00.250000Z")),
            record("offset", messages=at("2026-10-01T09:00:00.250000+00:00")),
            record("local", messages=at("2026-10-01T11:00:00.250000+02:00")),
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT m.sent_at FROM conversations_message m "
            "JOIN conversations_conversation c ON c.id = m.conversation_id "
            "WHERE c.external_id IN ('z', 'offset', 'local')"
        )
        stored = cursor.fetchall()
    assert len(stored) == 1
    assert Message.objects.filter(conversation__external_id="offset").first().sent_at == (
        Message.objects.filter(conversation__external_id="z").first().sent_at
    )


def test_raw_inserts_cover_every_column_of_their_models(cast):
    """The importer's plain rows are built from the models' fields: a field added to a
    model is written (or the import refuses to start), never silently left out."""
    from supportqa.conversations.models import Customer
    from supportqa.integrations import writer
    from supportqa.integrations.native import parse_file

    for model, listed in (
        (Conversation, writer.CONVERSATION_COLUMNS),
        (Message, writer.MESSAGE_COLUMNS),
        (Customer, writer.CUSTOMER_COLUMNS),
    ):
        assert listed == writer.columns(model)
        assert set(listed) == {f.attname for f in model._meta.concrete_fields} - {"id"}
    parsed = next(iter(parse_file(jsonl(record("cols")))))
    item = writer.ConversationWriter().resolve(parsed)
    values = writer.ConversationWriter()._values(item, "digest", {})
    assert set(values) == set(writer.FILLED_FIELDS)


def upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_a_web_import_waits_for_the_worker_and_its_file_is_removed(cast, settings, tmp_path):
    from supportqa.integrations.queue import queue_import, run_queued_imports

    settings.DATA_DIR = tmp_path
    run = queue_import(
        kind="native", upload=upload("a.jsonl", jsonl(record("q1"))), options={}, by=cast.admin
    )
    assert run.status == ImportRun.Status.QUEUED and (tmp_path / run.upload).exists()
    assert not Conversation.objects.filter(external_id="q1").exists()
    assert run_queued_imports("w1") == 1
    run.refresh_from_db()
    assert run.status == ImportRun.Status.COMPLETED and run.created == 1 and run.upload == ""
    assert not list((tmp_path / "uploads").iterdir())
    assert run_queued_imports("w1") == 0


def test_a_dead_workers_import_is_taken_over_and_resumed(cast, settings, tmp_path):
    import socket

    from supportqa import claims
    from supportqa.integrations.queue import queue_import, ready_imports, run_queued_imports

    settings.DATA_DIR = tmp_path
    settings.SUPPORTQA_IMPORT_BATCH = 2
    data = jsonl(*[record(f"d{i}") for i in range(5)])
    run = queue_import(kind="native", upload=upload("d.jsonl", data), options={}, by=cast.admin)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a process of this host that no longer exists
    assert claims.claim(ready_imports(), f"{socket.gethostname()}:{dead.pid}", 1) == [run.pk]
    ImportRun.objects.filter(pk=run.pk).update(items_done=2)  # it had written a batch
    import_conversations(jsonl(*[record(f"d{i}") for i in range(2)]))  # ... those two rows
    assert run_queued_imports("w2") == 1
    run.refresh_from_db()
    assert run.status == ImportRun.Status.COMPLETED and run.claimed_by == "w2"
    assert Conversation.objects.filter(external_id__startswith="d").count() == 5


def test_a_failed_web_import_keeps_its_file_and_retries(cast, settings, tmp_path, monkeypatch):
    from supportqa.integrations import importer
    from supportqa.integrations.queue import queue_import, retry, run_queued_imports

    settings.DATA_DIR = tmp_path
    run = queue_import(
        kind="native", upload=upload("f.jsonl", jsonl(record("f1"))), options={}, by=cast.admin
    )

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(importer, "_run_batches", broken)
    run_queued_imports("w1")
    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED and "disk full" in run.failure and run.upload
    page = cast.client(cast.admin).get(f"/imports/{run.code}/")
    assert "Retry" in page.content.decode()
    monkeypatch.undo()
    assert retry(run)
    assert run_queued_imports("w1") == 1
    run.refresh_from_db()
    assert run.status == ImportRun.Status.COMPLETED and run.created == 1


def test_a_file_is_mapped_and_read_line_by_line_as_splitlines_reads_it(cast, tmp_path):
    """Imports map the file instead of reading it (memory bounded whatever its size) and
    take JSONL lines from the map with the same line endings as the whole-file split."""
    from supportqa.integrations.importer import source_of
    from supportqa.integrations.native import lines_of

    data = b'\xef\xbb\xbf{"a": 1}\r\n\n{"b": 2}\rmiddle\r\n\r\nlast'
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(data)
    with source_of(path) as mapped:
        assert not isinstance(mapped, bytes)
        assert list(lines_of(mapped)) == data.splitlines()
    assert mapped.closed
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    with source_of(empty) as nothing:
        assert nothing == b""
    good = tmp_path / "good.jsonl"
    good.write_bytes(jsonl(record("mapped-1"), record("mapped-2")))
    report = import_conversations(good)
    assert (report.created, report.error_count) == (2, 0)
