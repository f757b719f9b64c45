"""The Zendesk connector, on exports written from Zendesk's public API reference:

- tickets, cursor-based incremental export with sideloaded users and groups:
  https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/
  (the ticket object as in its example: id, created_at, updated_at, subject, status,
  priority, requester_id, assignee_id, group_id, tags, via.channel, satisfaction_rating with
  id, score and comment; the page's after_cursor, after_url and end_of_stream);
- comments: https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_comments/
  (id, type, author_id, body, plain_body, public, attachments with file_name, content_url,
  content_type and size, created_at);
- merged tickets are closed with the tag closed_by_merge, deleted ones have status deleted.
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command

from supportqa.conversations.models import Conversation
from supportqa.integrations.models import Connection
from supportqa.surveys.models import SurveyResponse

USERS = [
    {"id": 1, "name": "Robin Roe", "email": "robin@example.test", "role": "end-user"},
    {"id": 2, "name": "Agent", "email": "agent@example.test", "role": "agent"},
    {"id": 3, "name": "Sam Shopper", "email": "sam@example.test", "role": "end-user"},
]
GROUPS = [{"id": 50, "name": "Team A"}]


def ticket(id_: int, **more):
    return {
        "id": id_, "url": f"https://acme.zendesk.com/api/v2/tickets/{id_}.json",
        "created_at": "2026-11-20T09:00:00Z", "updated_at": "2026-11-20T12:00:00Z",
        "subject": f"Ticket {id_}", "raw_subject": f"Ticket {id_}", "status": "open",
        "priority": "normal", "requester_id": 1, "submitter_id": 1, "assignee_id": 2,
        "group_id": 50, "tags": [], "via": {"channel": "web"},
        "satisfaction_rating": {"score": "unoffered"}, **more,
    }  # fmt: skip


def comment(id_: int, author: int, at: str, text: str, public: bool = True, **more):
    return {"id": id_, "type": "Comment", "author_id": author, "body": text,
            "html_body": f"<p>{text}</p>", "plain_body": text, "public": public,
            "attachments": [], "audit_id": id_ + 1000, "created_at": at, **more}  # fmt: skip


FIRST = {
    "tickets": [
        ticket(101, status="solved", priority="urgent", tags=["refund", "vip"],
               satisfaction_rating={"id": 9001, "score": "good", "comment": "Quick, thanks!"}),
        ticket(102, via={"channel": "native_messaging"}, requester_id=3,
               satisfaction_rating={"id": 9002, "score": "bad", "comment": "Too slow"}),
        ticket(103, status="deleted"),
        ticket(104, status="closed", tags=["closed_by_merge"]),
        ticket(105, via={"channel": "voice"}, status="pending",
               satisfaction_rating={"score": "offered"}),
    ],
    "users": USERS, "groups": GROUPS,
    "after_cursor": "MTU3NjYxMzUzOS4wfHw0Njd8", "end_of_stream": True,
    "after_url": "https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json?cursor=MTU3",
}  # fmt: skip
COMMENTS = {
    101: [
        comment(1, 1, "2026-11-20T09:00:00Z", "I was charged twice."),
        comment(2, 2, "2026-11-20T09:10:00Z", "Checking the ledger first.", public=False),
        comment(
            3,
            2,
            "2026-11-20T09:20:00Z",
            "Refunded; receipt attached.",
            attachments=[
                {
                    "id": 77,
                    "file_name": "receipt.pdf",
                    "content_type": "application/pdf",
                    "size": 2048,
                    "content_url": "https://acme.zendesk.com/attachments/77",
                }
            ],
        ),
    ],  # fmt: skip
    102: [
        comment(4, 3, "2026-11-20T10:00:00Z", "Where is my parcel?"),
        comment(5, 888, "2026-11-20T10:30:00Z", "It left today."),  # a deleted agent
    ],
    105: [comment(6, 1, "2026-11-20T11:00:00Z", "Call me back please.")],
}


def write(folder: Path, pages: list[dict], comments: dict[int, list[dict]]) -> Path:
    (folder / "comments").mkdir(parents=True)
    for number, page in enumerate(pages, start=1):
        (folder / f"tickets-{number:05d}.json").write_text(json.dumps(page))
    for ticket_id, items in comments.items():
        (folder / "comments" / f"{ticket_id}.json").write_text(
            json.dumps({"comments": items, "next_page": None, "count": len(items)})
        )
    return folder


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("zendesk", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_every_field_is_mapped_and_awkward_tickets_are_named(cast, tmp_path):
    folder = write(tmp_path / "first", [FIRST], COMMENTS)
    out, err = run("import", str(folder), "--connection", "acme")
    assert "tickets 3 created, 0 updated, 0 unchanged, 0 rejected, 2 left out" in out
    assert "ratings 2 created" in out
    assert "ticket 103: left out: deleted in Zendesk" in err
    assert "ticket 104: left out: merged into another ticket" in err
    refund = Conversation.objects.get(source="acme", external_id="101")
    assert (refund.channel, refund.status, refund.urgency) == ("email", "resolved", "high")
    assert refund.subject == "Ticket 101" and refund.tags == ["refund", "vip"]
    assert (refund.agent, refund.team) == (cast.agent, cast.team)
    customer = refund.customer
    assert (customer.external_id, customer.name, customer.email) == (
        "1", "Robin Roe", "robin@example.test")  # fmt: skip
    messages = list(refund.messages.order_by("seq"))
    assert [m.author_kind for m in messages] == ["customer", "note", "agent"]
    assert messages[2].author == cast.agent and messages[2].text.startswith("Refunded")
    assert messages[2].attachments[0]["name"] == "receipt.pdf"
    assert refund.resolved_at == messages[2].sent_at  # solved: at its last comment
    chat = Conversation.objects.get(source="acme", external_id="102")
    assert chat.channel == "chat" and chat.status == "open" and chat.resolved_at is None
    deleted = chat.messages.get(seq=1)
    assert (deleted.author_kind, deleted.author_name) == ("agent", "Deleted user")
    assert Conversation.objects.get(external_id="105").channel == "phone"
    ratings = {r.conversation.external_id: r for r in SurveyResponse.objects.all()}
    assert (ratings["101"].csat, ratings["101"].comment) == (5, "Quick, thanks!")
    assert ratings["102"].csat == 1 and "105" not in ratings  # offered, never answered
    assert Connection.objects.get(name="acme").cursor == "MTU3NjYxMzUzOS4wfHw0Njd8"


def test_a_second_run_changes_only_what_changed(cast, tmp_path):
    run("import", str(write(tmp_path / "first", [FIRST], COMMENTS)), "--connection", "acme")
    out, _ = run("import", str(write(tmp_path / "again", [FIRST], COMMENTS)),
                 "--connection", "acme")  # fmt: skip
    assert "0 created, 0 updated, 3 unchanged" in out and "ratings 0 created, 0 updated, 2" in out
    later = {
        "tickets": [ticket(101, status="closed", updated_at="2026-11-22T08:00:00Z",
                           satisfaction_rating={"id": 9001, "score": "good",
                                                "comment": "Quick, thanks!"})],
        "users": USERS, "groups": GROUPS, "after_cursor": "NEXT", "end_of_stream": True,
    }  # fmt: skip
    comments = {101: [*COMMENTS[101], comment(7, 1, "2026-11-21T08:00:00Z", "All good now.")]}
    out, _ = run("import", str(write(tmp_path / "later", [later], comments)),
                 "--connection", "acme")  # fmt: skip
    assert "tickets 0 created, 1 updated, 0 unchanged" in out
    refund = Conversation.objects.get(external_id="101")
    assert refund.status == "closed" and refund.messages.count() == 4
    assert Connection.objects.get(name="acme").cursor == "NEXT"


def test_unknown_agents_are_refused_unless_created(cast, tmp_path):
    page = {**FIRST, "tickets": [ticket(201, assignee_id=999)]}  # not sideloaded: deleted
    folder = write(tmp_path / "x", [page], {201: COMMENTS[105]})
    out, err = run("import", str(folder), "--connection", "acme")
    assert "1 rejected" in out and "ticket 201: agent: 'zendesk:999' is unknown" in err
    out, _ = run("import", str(folder), "--connection", "acme", "--create-missing")
    assert Conversation.objects.get(external_id="201").agent.external_id == "zendesk:999"


def test_a_folder_without_pages_or_with_bad_json_is_refused_by_name(cast, tmp_path):
    from django.core.management.base import CommandError

    (tmp_path / "empty").mkdir()
    with pytest.raises(CommandError, match="no tickets"):
        run("import", str(tmp_path / "empty"))
    folder = write(tmp_path / "bad", [FIRST], {})
    (folder / "tickets-00001.json").write_text("{not json")
    with pytest.raises(CommandError, match="tickets-00001.json: not readable JSON"):
        run("import", str(folder))


def test_fetch_reads_from_where_the_last_run_stopped(cast, tmp_path, monkeypatch, settings):
    """Against a local stand-in for Zendesk: the first run starts at --since, the next one
    at the stored cursor; the token comes from the environment, sent as Zendesk's basic
    "email/token:TOKEN"."""
    settings.DATA_DIR = tmp_path
    asked: list[tuple[str, dict, str]] = []
    pages = {"first": {**FIRST, "end_of_stream": True, "after_cursor": "C1"},
             "C1": {"tickets": [], "users": [], "groups": [], "after_cursor": "C2",
                    "end_of_stream": True}}  # fmt: skip

    class Zendesk(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            asked.append((url.path, query, self.headers["Authorization"]))
            if url.path == "/api/v2/incremental/tickets/cursor.json":
                body = pages[query["cursor"][0] if "cursor" in query else "first"]
            else:
                ticket_id = int(url.path.split("/")[4])
                body = {"comments": COMMENTS.get(ticket_id, []), "next_page": None}
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps(body).encode())

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Zendesk)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("ZENDESK_TOKEN", "s3cret")
    try:
        out, _ = run("fetch", "--url", base, "--email", "ops@acme.test", "--token-env",
                     "ZENDESK_TOKEN", "--since", "1700000000", "--connection", "acme")  # fmt: skip
        assert "tickets 3 created" in out
        first = asked[0]
        assert first[1]["start_time"] == ["1700000000"] and first[1]["include"] == ["users,groups"]
        expected = base64.b64encode(b"ops@acme.test/token:s3cret").decode()
        assert first[2] == f"Basic {expected}"
        assert {path for path, _, _ in asked[1:]} == {
            f"/api/v2/tickets/{n}/comments.json" for n in (101, 102, 103, 104, 105)
        }
        asked.clear()
        out, _ = run("fetch", "--url", base, "--email", "ops@acme.test", "--token-env",
                     "ZENDESK_TOKEN", "--connection", "acme")  # fmt: skip
        assert asked[0][1]["cursor"] == ["C1"] and "tickets 0 created" in out
        assert Connection.objects.get(name="acme").cursor == "C2"
    finally:
        server.shutdown()
        server.server_close()
    monkeypatch.delenv("ZENDESK_TOKEN")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="ZENDESK_TOKEN is empty"):
        run("fetch", "--url", base, "--email", "x", "--token-env", "ZENDESK_TOKEN")
