"""Our hostile corpus: import files that each mix good rows with one kind of trouble.

Each case names the file's kind, its bytes, how many records must be imported, and the
problems the run must list (line, field, a phrase of the reason), as errors or as warnings.
Built here rather than stored as files so every case says what it is testing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

NUL, SURROGATE = "\\u0000", "\\ud800"  # as they appear inside JSON text


@dataclass(frozen=True)
class Case:
    name: str
    kind: str
    data: bytes
    created: int
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    warnings: list[tuple[int, str, str]] = field(default_factory=list)
    create_missing: bool = False


def conversation(identifier: str, **overrides: object) -> dict:
    body: dict = {
        "external_id": identifier,
        "channel": "chat",
        "agent": "agent",
        "team": "Team A",
        "created_at": "2026-10-01T09:00:00Z",
        "customer": {"external_id": f"cust-{identifier}", "name": "Robin"},
        "messages": [
            {"author_kind": "customer", "sent_at": "2026-10-01T09:00:00Z", "text": "Hello"},
            {"author_kind": "agent", "sent_at": "2026-10-01T09:03:00Z", "text": "Hi, Robin"},
        ],
    }
    body.update(overrides)
    return body


def lines(*parts: str | dict) -> bytes:
    """JSONL: dicts are dumped, strings are written as they are (the hostile lines)."""
    return "".join((json.dumps(p) if isinstance(p, dict) else p) + "\n" for p in parts).encode()


def between(hostile: str, name: str, **extra: object) -> Case:
    """A native file: a good line, the hostile line 2, a good line."""
    data = lines(conversation(f"{name}-a"), hostile, conversation(f"{name}-b"))
    return Case(name, "native", data, created=2, **extra)  # type: ignore[arg-type]


def message_row(conversation_id: str, kind: str, minute: int, text: str) -> str:
    return f'{conversation_id},{kind},agent,2026-10-01T09:{minute:02d}:00Z,"{text}",Team A\n'


CSV_HEADER = "conversation_id,author_kind,author,sent_at,text,team\n"


def csv_file(*rows: str) -> bytes:
    return (CSV_HEADER + "".join(rows)).encode()


def good_csv(conversation_id: str) -> str:
    return message_row(conversation_id, "customer", 0, "Hi") + message_row(
        conversation_id, "agent", 2, "Hello"
    )


def dialogue(session: str, **header: object) -> dict:
    head = {
        "sessionID": session,
        "conversationDateTime": "2026-10-01T09:00:00Z",
        "company": "Team A",
        "duration": "0:05:00",
    }
    head.update(header)
    return {
        "dialogHeader": head,
        "dialogContent": [
            {"client": "robin", "datetime": "2026-10-01T09:00:00Z", "message": "help"},
            {"agent": "ava", "datetime": "2026-10-01T09:01:00Z", "message": "sure"},
        ],
        "agentURL": {"url_utterance": "see https://example.com"},
    }


def twitter(*items: str | dict) -> bytes:
    return (
        "[" + ",".join(json.dumps(i) if isinstance(i, dict) else i for i in items) + "]"
    ).encode()


def surveys(*rows: str) -> bytes:
    return (
        "response_id,conversation_id,conversation_source,csat,answered_at,comment\n" + "".join(rows)
    ).encode()


def users(*rows: str) -> bytes:
    return ("username,role,display_name,teams\n" + "".join(rows)).encode()


DEEP = "[" * 5000 + "]" * 5000
LONG_DIGITS = "9" * 5000


def native_cases() -> list[Case]:
    good = json.dumps(conversation("x"))
    return [
        between(DEEP, "deep", errors=[(2, "-", "nested too deeply")]),
        between(
            good.replace(
                '"external_id": "x"', '"reopen_count": ' + LONG_DIGITS + ', "external_id": "x"'
            ),
            "digits",
            errors=[(2, "-", "more than 4,300 digits")],
        ),
        between(
            good.replace('"text": "Hello"', '"text": "Hello", "attachments": [{"size": NaN}]'),
            "nan",
            errors=[(2, "-", "NaN")],
        ),
        between(good.replace('"chat"', "Infinity"), "infinity", errors=[(2, "-", "Infinity")]),
        between(
            good.replace('"text": "Hello"', f'"text": "Hel{SURROGATE}lo"'),
            "surrogate",
            errors=[(2, "messages[0].text", "unpaired surrogate")],
        ),
        between(
            good.replace('"external_id": "x"', f'"external_id": "x", "subject": "a{NUL}b"'),
            "nul",
            errors=[(2, "subject", "NUL")],
        ),
        between(
            good.replace('"name": "Robin"', f'"name": "Ro{NUL}bin"'),
            "nul-name",
            errors=[(2, "customer.name", "NUL")],
        ),
        between(
            good.replace('"channel"', f'"chan{SURROGATE}nel"'),
            "surrogate-key",
            errors=[(2, "-", "surrogate")],
        ),
        between(
            json.dumps(conversation("x", subject="s" * 301)),
            "long-subject",
            errors=[(2, "subject", "limit is 300")],
        ),
        between(
            json.dumps(conversation("x", team="t" * 121)),
            "long-team",
            errors=[(2, "team", "limit is 120")],
        ),
        between(
            json.dumps(conversation("x", customer={"external_id": "c", "email": "e" * 255})),
            "long-email",
            errors=[(2, "customer.email", "limit is 254")],
        ),
        between(
            json.dumps(conversation("x", external_id="i" * 201)),
            "long-id",
            errors=[(2, "external_id", "limit is 200")],
        ),
        between(
            json.dumps(
                conversation(
                    "x", created_at="1995-01-01T00:00:00Z", resolved_at="2199-01-01T00:00:00Z"
                )
            ),
            "overflow",
            errors=[(2, "resolved_at", "68 years")],
        ),
        between(
            json.dumps(conversation("x", reopen_count="١٢")),
            "arabic-digits",
            errors=[(2, "reopen_count", "not a whole number")],
        ),
        between(
            json.dumps(conversation("x", tags=["t"] * 101)),
            "tags",
            errors=[(2, "tags", "limit is 100")],
        ),
        between(
            json.dumps(
                conversation(
                    "x",
                    messages=[
                        {
                            "author_kind": "customer",
                            "sent_at": "2026-10-01T09:00:00Z",
                            "text": "hi",
                            "attachments": "file.png",
                        }
                    ],
                )
            ),
            "attachments",
            errors=[(2, "messages[0].attachments", "list of objects")],
        ),
        between("[1, 2, 3]", "array", errors=[(2, "-", "JSON object")]),
        between(
            '{"external_id": "x", "messages": {"text": "hi"}}',
            "wrong-type",
            errors=[(2, "messages", "non-empty list")],
        ),
        Case(
            "bad-utf8",
            "native",
            lines(conversation("u-a"))
            + b'{"external_id": "u-x", "subject": "\xff"}\n'
            + lines(conversation("u-b")),
            created=2,
            errors=[(2, "-", "UTF-8")],
        ),
        Case(
            "future",
            "native",
            lines(
                conversation(
                    "f-a",
                    created_at="2199-01-01T00:00:00Z",
                    messages=[
                        {
                            "author_kind": "customer",
                            "sent_at": "2199-01-01T00:00:00Z",
                            "text": "from the future",
                        }
                    ],
                ),
                conversation("f-b", created_at="2026-10-01T10:00:00Z"),
            ),
            created=2,
            warnings=[
                (1, "created_at", "future"),
                (2, "created_at", "after the conversation's first message"),
            ],
        ),
    ]


def csv_cases() -> list[Case]:
    return [
        Case(
            "unclosed-quote",
            "csv",
            csv_file(
                good_csv("q1"),
                message_row("q2", "customer", 0, "Hi"),
                'q2,agent,agent,2026-10-01T09:02:00Z,"never closed,Team A\n',
                good_csv("q3"),
                good_csv("q4"),
            ),
            created=3,
            errors=[(5, "-", "quote"), (4, "conversation_id", "its row on line 5 is bad")],
        ),
        Case(
            "oversized-cell",
            "csv",
            csv_file(
                good_csv("o1"),
                message_row("o2", "customer", 0, "x" * 300_000),
                message_row("o2", "agent", 2, "ok"),
                good_csv("o3"),
            ),
            created=2,
            errors=[(4, "-", "longer than"), (5, "conversation_id", "its row on line 4 is bad")],
        ),
        Case(
            "nul-cell",
            "csv",
            csv_file(good_csv("n1"), message_row("n2", "customer", 0, "a\x00b"), good_csv("n3")),
            created=2,
            errors=[(4, "text", "NUL")],
        ),
        Case(
            "bad-bytes",
            "csv",
            csv_file(good_csv("b1"))
            + b'b2,customer,,2026-10-01T09:00:00Z,"caf\xe9",Team A\n'
            + good_csv("b3").encode(),
            created=2,
            errors=[(4, "text", "UTF-8")],
        ),
        Case(
            "too-many-cells",
            "csv",
            csv_file(good_csv("m1"), "m2,customer,,2026-10-01T09:00:00Z,hi,Team A,extra\n"),
            created=1,
            errors=[(4, "-", "more cells")],
        ),
    ]


def twitter_cases() -> list[Case]:
    wrong = [
        ('{"dialogHeader": [1, 2]}', "dialogHeader", "must be an object"),
        ('{"dialogHeader": "x"}', "dialogHeader", "must be an object"),
        (json.dumps({**dialogue("t"), "dialogContent": {"a": 1}}), "dialogContent", "list"),
        (json.dumps({**dialogue("t"), "dialogContent": ["hi"]}), "dialogContent[0]", "object"),
        (json.dumps({**dialogue("t"), "agentURL": "x"}), "agentURL", "object"),
        (json.dumps(dialogue("t", duration="abc")), "dialogHeader.duration", "not a duration"),
        (json.dumps(dialogue("t", duration="999999:0:0")), "dialogHeader.duration", "68 years"),
        (json.dumps(dialogue("t", sessionID={"a": 1})), "external_id", "must be text"),
        (
            json.dumps(dialogue("t", conversationDateTime=5)),
            "dialogHeader.conversationDateTime",
            "timestamp",
        ),
        ('"just a string"', "-", "must be an object"),
        (DEEP, "-", "nested too deeply"),
        ('{"a": NaN}', "-", "NaN"),
        (
            json.dumps(dialogue("t")).replace('"help"', f'"he{SURROGATE}lp"'),
            "dialogContent[0].message",
            "surrogate",
        ),
    ]
    return [
        Case(
            f"twitter-{index}",
            "twitter",
            twitter(dialogue(f"tw{index}-a"), hostile, dialogue(f"tw{index}-b")),
            created=2,
            errors=[(2, field_name, reason)],
            create_missing=True,
        )
        for index, (hostile, field_name, reason) in enumerate(wrong)
    ]


def survey_cases() -> list[Case]:
    """The cast's conversations c-agent and c-teammate (source "test") exist."""
    return [
        Case(
            "second-response",
            "surveys",
            surveys(
                "r1,c-agent,test,5,2026-11-01T09:00:00Z,great\n",
                "r2,c-agent,test,1,2026-11-02T09:00:00Z,changed my mind\n",
                "r3,c-teammate,test,4,2026-11-01T09:00:00Z,\n",
            ),
            created=2,
            errors=[(3, "conversation_id", "second response")],
        ),
        Case(
            "answered-before",
            "surveys",
            surveys("r4,c-agent,test,5,1999-01-01T09:00:00Z,\n"),
            created=1,
            warnings=[(2, "answered_at", "before the conversation was created")],
        ),
        Case(
            "survey-junk",
            "surveys",
            surveys(
                "r5,c-agent,test,٣,2026-11-01T09:00:00Z,\n",
                f"r6,c-agent,test,{'9' * 5000},2026-11-01T09:00:00Z,\n",
                "r7,c-agent,test,4,2026-11-01T09:00:00Z,a\x00b\n",
                "r8,nowhere,test,4,2026-11-01T09:00:00Z,\n",
                "r9,c-teammate,test,4,2026-11-01T09:00:00Z,fine\n",
            ),
            created=1,
            errors=[
                (2, "csat", "not a whole number"),
                (3, "csat", "not a whole number"),
                (4, "comment", "NUL"),
                (5, "conversation_id", "no conversation"),
            ],
        ),
    ]


def user_cases() -> list[Case]:
    return [
        Case(
            "users-junk",
            "users",
            users(
                "u.good,agent,Good,Team A\n",
                f"u.team,agent,T,{'t' * 121}\n",
                f"u.name,agent,{'n' * 151},\n",
                "u\x00nul,agent,N,\n",
                "u.role,wizard,W,\n",
                "u.good2,qa,Good Two,\n",
            ),
            created=2,
            errors=[
                (3, "teams", "limit is 120"),
                (4, "display_name", "limit is 150"),
                (5, "username", "NUL"),
                (6, "role", "not one of"),
            ],
        ),
    ]


def corpus() -> list[Case]:
    return native_cases() + csv_cases() + twitter_cases() + survey_cases() + user_cases()
