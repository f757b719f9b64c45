"""Bad input gets a clear error and nothing is lost: the hostile corpus through the web import
(on SQLite and on PostgreSQL in CI), property tests over every parser, every form and the
autosave endpoint, a database refusal inside a batch, and uploads over the limit."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportqa.conversations.models import Conversation, Message
from supportqa.integrations import messages_csv, surveys, twitter, users
from supportqa.integrations.importer import import_conversations
from supportqa.integrations.models import ImportRun
from supportqa.integrations.native import parse_native
from supportqa.integrations.queue import run_queued_imports
from supportqa.integrations.records import (
    UNREADABLE,
    ConversationRecord,
    RowError,
    dedupe,
)
from supportqa.integrations.writer import ConversationWriter
from supportqa.surveys.models import SurveyResponse
from tests import hostile

CASES = hostile.corpus()


def web_import(client: Client, case: hostile.Case, strict: bool = False):
    upload = SimpleUploadedFile(f"{case.name}.{case.kind}", case.data)
    form = {"kind": case.kind, "file": upload, "source": "", "strict": strict}
    if case.create_missing:
        form["create_missing"] = "on"
    if not strict:
        form.pop("strict")
    response = client.post(reverse("import"), form)
    run_queued_imports("test-worker")  # what `supportqa worker` does
    return response


def matches(found: list[dict], expected: list[tuple[int, str, str]]) -> list[str]:
    """Expected (line, field, phrase) missing from the run's list."""
    return [
        f"line {line}: {name}: …{phrase}…"
        for line, name, phrase in expected
        if not any(
            e["line"] == line and e["field"] == name and phrase in e["reason"] for e in found
        )
    ]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_hostile_corpus_never_crashes_and_loses_nothing(cast, case):
    client = cast.client(cast.admin)
    response = web_import(client, case)
    assert response.status_code == 302, response.content[:500]
    run = ImportRun.objects.get()
    assert client.get(response["Location"]).status_code == 200
    assert run.status == ImportRun.Status.COMPLETED, run.failure
    assert run.created == case.created, (run.errors, run.warnings)
    assert matches(run.errors, case.errors) == [], run.errors
    assert matches(run.warnings, case.warnings) == [], run.warnings
    assert run.error_count == len(case.errors), run.errors
    assert not any(UNREADABLE in e["reason"] for e in run.errors)
    if case.kind in ("native", "twitter"):  # every record is imported or named in an error
        records = len(case.data.splitlines()) if case.kind == "native" else 3
        assert run.created + len({e["line"] for e in run.errors}) == records


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.errors or c.warnings][:12], ids=lambda c: c.name
)
def test_a_strict_import_of_a_hostile_file_writes_nothing(cast, case):
    before = (Conversation.objects.count(), SurveyResponse.objects.count())
    response = web_import(cast.client(cast.admin), case, strict=True)
    assert response.status_code == 302
    assert ImportRun.objects.get().status == ImportRun.Status.ABORTED
    assert (Conversation.objects.count(), SurveyResponse.objects.count()) == before


def test_a_second_survey_response_across_imports_is_reported_not_a_crash(cast):
    client = cast.client(cast.admin)
    first = hostile.Case(
        "one", "surveys", hostile.surveys("s1,c-agent,test,5,2026-11-01T09:00:00Z,\n"), 1
    )
    again = hostile.Case(
        "two", "surveys", hostile.surveys("s2,c-agent,test,1,2026-11-03T09:00:00Z,\n"), 0
    )
    assert web_import(client, first).status_code == 302
    assert web_import(client, again).status_code == 302
    run = ImportRun.objects.order_by("-pk").first()
    assert run.errors[0]["reason"].startswith("the conversation already has a survey response")
    assert SurveyResponse.objects.get().csat == 5


def test_a_record_the_database_refuses_costs_only_its_row(cast, monkeypatch, settings):
    """A batch the database refuses is written again record by record: the poisoned record is
    an error naming its line, the rest of the batch is imported, and the run completes."""
    settings.SUPPORTQA_IMPORT_BATCH = 5
    real_write = ConversationWriter.write

    def write(self, items):
        if any(item.record.external_id == "poison" for item in items):
            raise IntegrityError("value too long for type character varying(200)")
        return real_write(self, items)

    monkeypatch.setattr(ConversationWriter, "write", write)
    data = hostile.lines(
        *[hostile.conversation(f"p{i}") for i in range(3)],
        hostile.conversation("poison"),
        *[hostile.conversation(f"q{i}") for i in range(4)],
    )
    report = import_conversations(data)
    assert report.created == 7
    assert [(e.line, e.field) for e in report.errors] == [(4, "-")]
    assert "the database refused it" in report.errors[0].reason
    assert ImportRun.objects.get().status == ImportRun.Status.COMPLETED
    assert not Conversation.objects.filter(external_id="poison").exists()


def test_an_upload_over_the_limit_is_refused_before_it_is_read(cast, settings):
    settings.SUPPORTQA_MAX_UPLOAD_BYTES = 1024

    class Unreadable(io.BytesIO):
        def read(self, *args):
            raise AssertionError("the body was read")

        readline = read

    client = cast.client(cast.admin)
    request_body = b"x" * 4096
    response = client.generic(
        "POST",
        reverse("import"),
        request_body,
        content_type="multipart/form-data; boundary=xyz",
        **{"wsgi.input": Unreadable(request_body)},
    )
    assert response.status_code == 413
    assert "larger than" in response.content.decode()
    assert not ImportRun.objects.exists()
    small = hostile.Case("small", "native", hostile.lines(hostile.conversation("s")), 1)
    assert web_import(client, small).status_code == 302  # under the limit: imported


# --- properties: no input makes a parser raise, every row is accounted for --------------------

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = [
    "external_id", "source", "channel", "subject", "agent", "team", "category", "urgency",
    "complexity", "status", "tags", "created_at", "resolved_at", "reopen_count", "customer",
    "messages",
]  # fmt: skip
HOSTILE_TEXT = st.sampled_from(
    [
        "",
        "\x00",
        "\ud800",
        "é" * 400,
        "9" * 40,
        "١٢",
        "2199-01-01T00:00:00Z",
        "1900-01-01T00:00:00Z",
        "0:0:0",
        "-1",
        "NaN",
    ]
)


@st.composite
def mutated_conversation(draw) -> dict:
    """A valid conversation with some fields replaced by hostile or random values."""
    body = hostile.conversation(draw(st.text(alphabet="abc123", min_size=1, max_size=8)))
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=4)):
        body[name] = draw(JSON_VALUES | HOSTILE_TEXT)
    if draw(st.booleans()):
        message = (
            dict(body["messages"][0])
            if isinstance(body.get("messages"), list)
            and body["messages"]
            and isinstance(body["messages"][0], dict)
            else {}
        )
        message[
            draw(st.sampled_from(["text", "sent_at", "author_kind", "author", "attachments"]))
        ] = draw(JSON_VALUES | HOSTILE_TEXT)
        body["messages"] = [message]
    return body


def encode(body: dict, constant: str | None) -> bytes:
    text = json.dumps(body, ensure_ascii=True)
    if constant:  # NaN, Infinity or a huge number where a value was
        text = text.replace('"chat"', constant, 1)
    return text.encode()


def check_records(items: list) -> None:
    """Records are storable; errors are named problems, never the parsers' safety net."""
    for item in items:
        assert isinstance(item, ConversationRecord | RowError)
        if isinstance(item, RowError):
            assert UNREADABLE not in item.reason, item
        if isinstance(item, ConversationRecord):
            for text in (item.external_id, item.subject, item.team, item.customer_name):
                assert "\x00" not in text and len(text) <= 300
            for message in item.messages:
                message.text.encode("utf-8")  # storable: no lone surrogates
                assert "\x00" not in message.text


@settings(max_examples=150, deadline=None)
@given(
    bodies=st.lists(mutated_conversation(), min_size=1, max_size=5),
    constant=st.sampled_from([None, "NaN", "Infinity", "-Infinity", "9" * 5000]),
    junk=st.binary(max_size=50),
)
def test_the_native_parser_accounts_for_every_line(bodies, constant, junk):
    data = b"\n".join([encode(b, constant) for b in bodies] + [junk.replace(b"\n", b" ")])
    items = list(parse_native(data.splitlines()))
    check_records(items)
    nonblank = {n for n, line in enumerate(data.splitlines(), 1) if line.strip()}
    assert {i.line for i in items} == nonblank  # one item (record or error) per line


@settings(max_examples=150, deadline=None)
@given(
    data=st.binary(max_size=400)
    | st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass"))
)
def test_no_bytes_make_a_parser_raise(data):
    check_records(list(parse_native(data.splitlines())))
    check_records(
        list(messages_csv.parse_message_csv(b"conversation_id,author_kind,sent_at,text\n" + data))
    )
    check_records(list(twitter.parse_twitter(b"[" + data + b"]")))
    check_records(list(twitter.parse_twitter(data)))
    for item in surveys.parse_surveys(b"response_id,conversation_id,answered_at,csat\n" + data):
        assert isinstance(item, RowError | surveys.SurveyRecord)
    for item in users.parse_users(b"username,role,teams\n" + data):
        assert isinstance(item, RowError | users.UserRecord)


CSV_CELLS = st.text(alphabet=st.sampled_from(list('ab,"\n\r x\x00é')), max_size=12)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.lists(CSV_CELLS, min_size=4, max_size=4), min_size=1, max_size=6))
def test_a_bad_csv_row_never_takes_other_conversations_with_it(rows):
    """Well-formed rows of their own conversations are read whatever the rows around them."""
    import csv

    good = "g1,customer,2026-10-01T09:00:00Z,hello\ng1,agent,2026-10-01T09:01:00Z,hi\n"
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    hostile_part = buffer.getvalue().replace("\x00", "\x00") if rows else ""
    raw = hostile_part.replace('"', "") if False else hostile_part
    data = (
        "conversation_id,author_kind,sent_at,text\n" + good + raw + good.replace("g1", "g2")
    ).encode()
    items = list(messages_csv.parse_message_csv(data))
    check_records(items)
    ids = {i.external_id for i in items if isinstance(i, ConversationRecord)}
    assert {"g1", "g2"} <= ids | {r[0] for r in rows}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(bodies=st.lists(mutated_conversation(), min_size=1, max_size=4))
def test_imports_of_mutated_files_never_fail_and_write_whole_conversations(cast, bodies):
    """On the database: every line is imported or named in an error, and every conversation
    imported has exactly the messages of its record."""
    data = b"\n".join(encode(b, None) for b in bodies) + b"\n"
    with transaction.atomic():
        report = import_conversations(data, create_missing=True, source="prop")
        parsed = {
            i.external_id: i
            for i in dedupe(parse_native(data.splitlines(), "prop"))
            if isinstance(i, ConversationRecord)
        }
        assert ImportRun.objects.filter(status=ImportRun.Status.COMPLETED).exists()
        for conversation in Conversation.objects.filter(source="prop"):
            expected = parsed[conversation.external_id].messages
            stored = Message.objects.filter(conversation=conversation).count()
            assert stored == len(expected) == conversation.message_count
        lines = {n for n, line in enumerate(data.splitlines(), 1) if line.strip()}
        imported = report.created + report.updated + report.unchanged
        assert imported + len({e.line for e in report.errors}) == len(lines)
        transaction.set_rollback(True)


# --- forms and the autosave endpoint ---------------------------------------------------------

NASTY = [
    "١٢٣",
    "9" * 5000,
    "-1",
    "1e309",
    "NaN",
    "\x00",
    "x" * 20000,
    "<script>alert(1)</script>",
    "",
    "na",
    "0,1,٣",
]


def form_posts(cast):
    """(url, field names) of every form that accepts POST, for the people who may use it."""
    from supportqa.scorecards.models import Criterion
    from tests.conftest import chat_rubric, submitted_review

    review = submitted_review(cast.teammate_conversation, cast.qa, position=1)
    codes = [c.code for c in Criterion.objects.filter(section__version=chat_rubric())]
    rating_fields = [
        f"{p}-{code}" for code in codes[:2] for p in ("rating", "comment", "cause", "evidence")
    ]
    return [
        (
            cast.qa,
            reverse("conversation-detail", args=[cast.conversation.code]),
            [*rating_fields, "overall_comment", "action", "scorecard"],
        ),
        (cast.qa, reverse("review-edit", args=[review.code]), [*rating_fields, "reason"]),
        (
            cast.teammate,
            reverse("dispute-raise", args=[review.code]),
            [f"dispute-{codes[0]}", f"proposed-{codes[0]}", "reason"],
        ),
        (
            cast.lead,
            reverse("cycle-new"),
            [
                "name",
                "team",
                "design",
                "sample_size",
                "every_days",
                f"quota-{cast.qa.code}",
                "targets",
            ],
        ),
        (
            cast.lead,
            reverse("calibration-new"),
            ["title", "scorecard", "conversations", "participants", "baseline"],
        ),
        (
            cast.admin,
            reverse("autoqa-settings"),
            ["greetings", "first_reply_target.chat", "canned_share_limit", "action"],
        ),
        (cast.admin, reverse("scorecard-json", args=["chat-quality"]), ["spec"]),
        (
            cast.admin,
            reverse("scorecard-edit", args=["chat-quality"]),
            [
                "name",
                "pass_threshold",
                "s-0-weight",
                "s-0-c-0-name",
                "s-0-c-0-o-0-value",
                "s-0-c-0-sample",
                "op",
                "s-1-c-0-key",
            ],
        ),  # fmt: skip
        (cast.admin, reverse("import"), ["kind", "source"]),
        (cast.admin, reverse("categorize"), ["action", "minimum_confidence"]),
        (cast.agent, reverse("account"), ["old_password", "new_password1", "new_password2"]),
    ]


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=st.lists(st.sampled_from(NASTY) | st.text(max_size=20), min_size=8, max_size=8))
def test_no_form_value_causes_a_server_error(cast, values):
    """Every form, and the review form's JSON autosave, with hostile values in every field."""
    with transaction.atomic():
        for index, (user, url, names) in enumerate(form_posts(cast)):
            client = cast.client(user)
            data = {name: values[i % len(values)] for i, name in enumerate(names)}
            response = client.post(url, data)
            assert response.status_code < 500, (url, data)
            if index == 0:
                autosave = client.post(url, data, HTTP_ACCEPT="application/json")
                assert autosave.status_code < 500, (url, data)
                assert autosave["Content-Type"] == "application/json"
        transaction.set_rollback(True)


@pytest.mark.parametrize("value", NASTY)
def test_the_scorecard_editor_names_every_problem(cast, value):
    """JSON with NaN, 5,000-digit numbers, NUL characters or labels longer than their columns
    is refused with the path of the problem, never a server error."""
    url = reverse("scorecard-json", args=["chat-quality"])
    spec = cast.client(cast.admin).get(url).context["text"]
    bad = spec.replace('"Exceeds Expectations"', json.dumps(value), 1)
    response = cast.client(cast.admin).post(url, {"spec": bad})
    assert response.status_code in (302, 400)
    for junk in ('{"a": NaN}', '{"a": ' + "9" * 5000 + "}", "[" * 5000, '{"sections": "\u0000"}'):
        response = cast.client(cast.admin).post(url, {"spec": junk})
        assert response.status_code == 400 and response.context["error"]


@pytest.mark.parametrize("value", NASTY)
def test_filters_and_periods_answer_400_or_200(cast, value):
    client = cast.client(cast.qa)
    for name in ("score_min", "since", "q", "agent", "page"):
        response = client.get(reverse("conversation-list"), {name: value})
        assert response.status_code in (200, 400), (name, value)
    assert (
        client.get(reverse("team-detail", args=[cast.team.code]), {"days": value}).status_code
        == 200
    )
    export = client.get(reverse("export", args=["conversations", "csv"]), {"score_max": value})
    assert export.status_code in (200, 400)


@pytest.mark.parametrize("value", ["١", "²", "9" * 5000, "-1", "0x1"])
def test_the_review_form_answers_400_naming_the_criterion(cast, value):
    from supportqa.scorecards.models import Criterion
    from tests.conftest import chat_rubric

    criterion = Criterion.objects.filter(section__version=chat_rubric()).first()
    url = reverse("conversation-detail", args=[cast.conversation.code])
    data = {"scorecard": "chat-quality", "action": "draft", f"rating-{criterion.code}": value}
    response = cast.client(cast.qa).post(url, data, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert "no such rating option" in response.json()["errors"][criterion.code]
    page = cast.client(cast.qa).post(url, data)
    assert page.status_code == 400 and "no such rating option" in page.content.decode()
