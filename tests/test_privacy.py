"""The right to erasure (issue #17 §5): a customer's personal data removed everywhere, found
nowhere in the database afterwards, while every count and score stays what it was."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from supportqa.audit.actions import verify_chain
from supportqa.audit.models import AuditEvent
from supportqa.conversations.models import Conversation, Customer, Message
from supportqa.notifications.actions import notify
from supportqa.notifications.models import Kind
from supportqa.privacy.erasure import ErasureError, customers_matching, erase
from supportqa.reports import rollups
from supportqa.reviews.actions import RatingInput
from supportqa.reviews.models import Review
from supportqa.social.ingest import PostRecord, ingest
from supportqa.social.models import Post
from supportqa.surveys.models import SurveyResponse, SurveySent
from tests.conftest import chat_rubric, full_ratings, submitted_review

NAME, EMAIL, HANDLE, PHONE = (
    "Zebulon Quarkson",
    "zq.unique@example.test",
    "zq-0001",
    "+44 20 7946 0958",
)
SECRETS = [NAME.lower(), "quarkson", EMAIL, HANDLE, "7946 0958"]


def everywhere(value: str) -> list[str]:
    """Every table and column of the database whose text holds `value` (case ignored): read
    from the database's own catalogue, not from the models, so nothing is left out."""
    found = []
    with connection.cursor() as cursor:
        for table, column in columns(cursor):
            cursor.execute(
                f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)} "
                f"WHERE LOWER(CAST({connection.ops.quote_name(column)} AS TEXT)) LIKE %s",
                [f"%{value.lower()}%"],
            )
            if cursor.fetchone()[0]:
                found.append(f"{table}.{column}")
    return found


def columns(cursor) -> list[tuple[str, str]]:
    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema()"
        )
        return list(cursor.fetchall())
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    out = []
    for (table,) in cursor.fetchall():
        cursor.execute(f"PRAGMA table_info({connection.ops.quote_name(table)})")
        out += [(table, row[1]) for row in cursor.fetchall()]
    return out


@pytest.fixture
def customer(cast) -> Customer:
    """A customer whose name, address, id and phone reach every corner SupportQA keeps."""
    customer = Customer.objects.create(source="test", external_id=HANDLE, name=NAME, email=EMAIL)
    conversation = cast.conversation
    conversation.customer = customer
    conversation.subject = f"Refund for {NAME}"
    conversation.resolved_at = conversation.created_at + timedelta(hours=1)
    conversation.save()
    Message.objects.filter(conversation=conversation, seq=0).update(
        text=f"Hi, I'm {NAME}, mail me at {EMAIL} or call {PHONE}", author_name=NAME
    )
    Message.objects.filter(conversation=conversation, seq=1).update(
        text="Thanks Zebulon, I have found your order.",
        attachments=[{"name": f"{NAME} receipt.pdf"}],
    )
    survey = SurveySent.objects.create(conversation=conversation, agent=cast.agent,
                                       team=cast.team, sent_at=timezone.now())  # fmt: skip
    SurveyResponse.objects.create(
        source="csv", external_id="r1", survey=survey, conversation=conversation,
        agent=cast.agent, team=cast.team, csat=2, answered_at=timezone.now(),
        comment=f"{NAME} here: slow!", follow_up_answer=f"write to {EMAIL}",
    )  # fmt: skip
    version = chat_rubric()
    ratings = full_ratings(version, 1)
    first = next(iter(ratings))
    ratings[first] = RatingInput(option_position=1, comment=f"{NAME} was upset")
    submitted_review(conversation, cast.qa, ratings=ratings)
    notify(users=[cast.lead], kind=Kind.REVIEW_EDITED, text=f"About {NAME}", link="/")
    ingest([PostRecord(1, "file", "p1", f"I am {NAME}, still waiting", timezone.now(),
                       author=HANDLE)])  # fmt: skip
    return customer


def test_an_erased_customer_is_found_nowhere_and_the_figures_stay(cast, customer):
    for secret in SECRETS:
        assert everywhere(secret), f"the fixture should hold {secret!r} somewhere"
    scores = list(Review.objects.values_list("final_score", flat=True))
    counts = (Conversation.objects.count(), Message.objects.count(), SurveyResponse.objects.count())
    erased = erase(customers=customers_matching(email=EMAIL.upper()), by=cast.admin)
    assert (erased.customers, erased.conversations, erased.messages) == (1, 1, 4)
    assert erased.survey_answers == 1 and erased.posts == 1 and erased.swept >= 2
    left = {secret: everywhere(secret) for secret in SECRETS}
    assert left == {secret: [] for secret in SECRETS}
    # The figures: the same rows, scores and answers.
    assert list(Review.objects.values_list("final_score", flat=True)) == scores
    assert (Conversation.objects.count(), Message.objects.count(),
            SurveyResponse.objects.count()) == counts  # fmt: skip
    assert SurveyResponse.objects.get().csat == 2
    rollups.current()
    assert rollups.check() == []
    # Audited without the values; the chain intact.
    event = AuditEvent.objects.get(action="customer.erased")
    assert event.actor == cast.admin and event.data["messages"] == 4
    assert verify_chain() is None
    assert Customer.objects.get(pk=customer.pk).external_id == f"erased-{customer.code}"
    assert Post.objects.get().text == "[erased]"


def test_another_customer_whose_details_contain_the_erased_ones_is_left_alone(cast, customer):
    near = Customer.objects.create(source="test", external_id=f"x{HANDLE}9",
                                   name="Zebulon Quarksonn", email=f"jo{EMAIL}")  # fmt: skip
    cast.other_conversation.customer = near
    cast.other_conversation.subject = f"From jo{EMAIL}, {NAME}n"
    cast.other_conversation.save()
    erase(customers=[customer], by=None)
    near.refresh_from_db()
    assert (near.external_id, near.name, near.email) == (f"x{HANDLE}9", "Zebulon Quarksonn",
                                                          f"jo{EMAIL}")  # fmt: skip
    subject = Conversation.objects.get(pk=cast.other_conversation.pk).subject
    assert subject == f"From jo{EMAIL}, {NAME}n"


def test_importing_an_erased_customers_conversations_again_brings_nothing_back(cast, customer):
    import json

    from supportqa.integrations.importer import import_conversations

    erase(customers=[customer], by=None)
    record = {"source": "test", "external_id": "again-1", "channel": "chat",
              "created_at": "2026-11-01T10:00:00Z", "agent": "agent",
              "customer": {"external_id": HANDLE, "name": NAME, "email": EMAIL},
              "messages": [{"author_kind": "customer", "text": "hello",
                            "sent_at": "2026-11-01T10:00:00Z"}]}  # fmt: skip
    import_conversations(json.dumps(record).encode() + b"\n", kind="native")
    again = Conversation.objects.get(external_id="again-1")
    assert again.customer_id == customer.pk  # the erased customer, not a new one
    assert everywhere(EMAIL) == [] and Customer.objects.filter(name=NAME).count() == 0


def test_erasure_names_what_it_refuses(db):
    with pytest.raises(ErasureError, match="not both"):
        customers_matching(customer_id="x", email="y@example.test")
    with pytest.raises(ErasureError, match="no customer"):
        erase(customers=customers_matching(customer_id="nobody"), by=None)


def test_the_command_and_the_page(cast, customer):
    with pytest.raises(CommandError, match="no customer"):
        call_command("erase", "--customer", "nobody", "--yes")
    admin = cast.client(cast.admin)
    found = admin.post("/privacy/erase/", {"customer_id": HANDLE, "action": "find"})
    assert "1 customer, 1 conversation, 4 messages, 1 survey answer" in found.content.decode()
    unconfirmed = admin.post("/privacy/erase/", {"customer_id": HANDLE, "action": "erase"})
    assert unconfirmed.status_code == 400 and Customer.objects.get().email == EMAIL
    assert cast.client(cast.manager).get("/privacy/erase/").status_code == 404
    out = StringIO()
    call_command("erase", "--customer", HANDLE, "--yes", stdout=out)
    assert "Erased: 1 customer(s), 1 conversation(s), 4 message(s)" in out.getvalue()
    assert everywhere(EMAIL) == []


# --- backups ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_the_database_as_it_was(cast, tmp_path):
    """`supportqa backup` then `supportqa restore`: a conversation deleted after the backup
    is back, one created after it is gone; the file is a whole database of its own."""
    file = tmp_path / "supportqa.backup"
    out = StringIO()
    call_command("backup", "--out", str(file), stdout=out)
    assert "backup of" in out.getvalue() and file.exists()
    with pytest.raises(CommandError, match="exists"):
        call_command("backup", "--out", str(file))
    kept = set(Conversation.objects.values_list("code", flat=True))
    Conversation.objects.filter(pk=cast.conversation.pk).delete()
    Conversation.objects.create(source="test", external_id="after", created_at=timezone.now())
    call_command("restore", str(file), "--yes", stdout=StringIO())
    assert set(Conversation.objects.values_list("code", flat=True)) == kept
    assert Message.objects.filter(conversation__code=cast.conversation.code).count() == 4
    assert fresh_count(file, "conversations_conversation") == len(kept)
    wrong = tmp_path / "not-a-backup"
    wrong.write_bytes(b"hello")
    with pytest.raises(CommandError, match="is not a"):
        call_command("restore", str(wrong), "--yes")


def fresh_count(file, table: str) -> int:
    """Rows of `table` in the backup restored into a fresh database of its own."""
    import sqlite3
    import subprocess

    if connection.vendor == "sqlite":
        fresh = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        try:
            return int(fresh.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
        finally:
            fresh.close()
    settings = connection.settings_dict
    env = {"PGHOST": settings["HOST"] or "", "PGPORT": str(settings["PORT"] or ""),
           "PGUSER": settings["USER"] or "", "PGPASSWORD": settings["PASSWORD"] or "",
           "PATH": "/usr/bin:/bin"}  # fmt: skip
    name = f"{settings['NAME']}_fresh"
    run = lambda *command: subprocess.run(command, env=env, check=True, capture_output=True)  # noqa: E731
    run("dropdb", "--if-exists", name)
    run("createdb", name)
    try:
        run("pg_restore", "--no-owner", f"--dbname={name}", str(file))
        counted = run("psql", "-tA", f"--dbname={name}", "-c", f"SELECT COUNT(*) FROM {table}")
        return int(counted.stdout.strip())
    finally:
        run("dropdb", "--if-exists", name)


# --- retention and redaction ------------------------------------------------------------------


def test_retention_removes_old_texts_and_keeps_the_figures(cast, customer, settings):
    settings.SUPPORTQA_RETAIN_MESSAGES_DAYS = 7  # the cast's conversations are 30 days old
    settings.SUPPORTQA_RETAIN_SURVEY_COMMENTS_DAYS = 0  # kept
    settings.SUPPORTQA_RETAIN_PERSONAL_DAYS = 20
    out = StringIO()
    call_command("retention", stdout=out)
    assert Message.objects.exclude(text="[removed after 7 days]").count() == 0
    assert Message.objects.count() == 12  # three conversations of four messages, all kept
    assert SurveyResponse.objects.get().comment  # survey comments: no retention set
    quiet = Customer.objects.get()
    assert (quiet.name, quiet.email) == ("", "")  # no conversation in the last 20 days
    assert Review.objects.get().final_score is not None
    again = StringIO()
    call_command("retention", stdout=again)
    assert again.getvalue().startswith("0 message(s), 0 survey answer(s), 0 customer(s)")


def test_existing_conversations_are_redacted_on_demand(cast, customer):
    with pytest.raises(CommandError, match="choose one"):
        call_command("redact")
    out = StringIO()
    call_command("redact", "--conversation", cast.conversation.code, stdout=out)
    assert out.getvalue().startswith("1 message(s)")
    text = Message.objects.get(conversation=cast.conversation, seq=0).text
    assert EMAIL not in text and "7946" not in text and NAME in text  # patterns, not names
    call_command("redact", "--conversation", cast.conversation.code, stdout=(again := StringIO()))
    assert again.getvalue().startswith("0 message(s)")
