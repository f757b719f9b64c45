"""Zendesk Support: tickets with their comments, from the vendor's own API responses.

A Zendesk export is a folder of the JSON Zendesk answers, as fetched (`supportqa zendesk
fetch` writes one; so can any script):

- `tickets*.json`: pages of the incremental ticket export, cursor based
  (`GET /api/v2/incremental/tickets/cursor.json?include=users,groups`): `tickets`, the
  sideloaded `users` and `groups`, `after_cursor` and `end_of_stream`;
- `comments/<ticket id>.json` (and `<ticket id>-2.json`, … for further pages): the ticket's
  comments (`GET /api/v2/tickets/{id}/comments.json?include=users`).

Each ticket becomes one conversation in the native format, validated and written by the
importer like any other (docs/import-formats.md, "Zendesk"); its satisfaction rating becomes a
survey answer. Deleted tickets and tickets closed by a merge (their comments live on in the
ticket they were merged into) are left out and listed; private comments are internal notes;
side conversations are a separate Zendesk API and are not part of a ticket's comments.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from supportqa.integrations.importer import ImportReport, import_conversations
from supportqa.integrations.models import Connection
from supportqa.integrations.records import RowError
from supportqa.integrations.surveys import SurveyRecord, upsert_survey_responses

# Zendesk's `via.channel` → our channels (anything else: "other").
CHANNELS = {
    "email": "email", "web": "email", "mobile": "email", "api": "email",
    "chat": "chat", "native_messaging": "chat", "messaging": "chat", "mobile_sdk": "chat",
    "sms": "chat", "whatsapp": "chat",
    "voice": "phone", "phone": "phone",
    "twitter": "social", "facebook": "social", "instagram_dm": "social", "any_channel": "social",
}  # fmt: skip
STATUSES = {"new": "open", "open": "open", "hold": "pending", "pending": "pending",
            "solved": "resolved", "closed": "closed"}  # fmt: skip
PRIORITIES = {"low": "low", "normal": "medium", "high": "high", "urgent": "high"}
MERGED_TAG = "closed_by_merge"  # Zendesk's tag on a ticket merged into another
# Zendesk's satisfaction is good or bad: kept as 5 or 1 of 5, so that "% satisfied" (the top
# two options) is Zendesk's own satisfaction score.
SATISFACTION = {"good": 5, "bad": 1}


class ZendeskError(Exception):
    pass


@dataclass
class Export:
    tickets: list[dict[str, Any]] = field(default_factory=list)
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    groups: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    cursor: str = ""  # the last page's after_cursor: where the next run starts


def _load(path: Path) -> dict[str, Any]:
    try:
        page = json.loads(path.read_bytes())
    except (OSError, ValueError) as problem:
        raise ZendeskError(f"{path.name}: not readable JSON ({problem})") from None
    if not isinstance(page, dict):
        raise ZendeskError(f"{path.name}: a Zendesk answer is a JSON object")
    return page


def _numbered(path: Path) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)(?:-(\d+))?", path.stem)
    if match is None:
        raise ZendeskError(f"comments/{path.name}: name it <ticket id>.json or <id>-<page>.json")
    return int(match[1]), int(match[2] or 1)


def read_folder(folder: Path) -> Export:
    """The tickets, people, groups and comments of an export folder, pages in name order."""
    pages = sorted(folder.glob("tickets*.json"))
    if not pages:
        raise ZendeskError(f"{folder}: no tickets*.json (pages of the incremental export)")
    export = Export()
    seen: dict[int, int] = {}
    for path in pages:
        page = _load(path)
        for user in page.get("users") or []:
            export.users[user["id"]] = user
        for group in page.get("groups") or []:
            export.groups[group["id"]] = group
        for ticket in page.get("tickets") or []:
            # A ticket changed twice during the export comes twice: the later wins.
            if ticket.get("id") in seen:
                export.tickets[seen[ticket["id"]]] = ticket
            else:
                seen[ticket.get("id")] = len(export.tickets)
                export.tickets.append(ticket)
        export.cursor = page.get("after_cursor") or export.cursor
    for path in sorted((folder / "comments").glob("*.json"), key=_numbered):
        ticket_id, _ = _numbered(path)
        page = _load(path)
        for user in page.get("users") or []:
            export.users.setdefault(user["id"], user)
        export.comments.setdefault(ticket_id, []).extend(page.get("comments") or [])
    return export


# — tickets → native conversations —


def _person(export: Export, user_id: Any) -> dict[str, Any]:
    return export.users.get(user_id) or {}


def _agent_key(export: Export, user_id: Any) -> str:
    """How the importer finds the agent: their e-mail, else their Zendesk id (a deleted
    Zendesk user is no longer sideloaded)."""
    if user_id is None:
        return ""
    return _person(export, user_id).get("email") or f"zendesk:{user_id}"


def _message(export: Export, ticket: dict[str, Any], comment: dict[str, Any]) -> dict[str, Any]:
    author_id = comment.get("author_id")
    author = _person(export, author_id)
    if not comment.get("public", True):
        kind = "note"  # an internal note, not seen by the customer
    elif author:
        kind = "customer" if author.get("role") == "end-user" else "agent"
    else:  # a deleted user: the requester is the customer, anyone else staff
        kind = "customer" if author_id == ticket.get("requester_id") else "agent"
    staff = kind in ("agent", "note")
    return {
        "author_kind": kind,
        "author": _agent_key(export, author_id) if staff and author else "",
        "author_name": author.get("name") or ("" if author else "Deleted user"),
        "sent_at": comment.get("created_at"),
        "text": comment.get("plain_body") or comment.get("body") or "",
        "attachments": [
            {"name": a.get("file_name"), "type": a.get("content_type"), "size": a.get("size"),
             "link": a.get("content_url")}
            for a in comment.get("attachments") or [] if isinstance(a, dict)
        ],
    }  # fmt: skip


def conversation(export: Export, ticket: dict[str, Any]) -> dict[str, Any]:
    """One ticket as a native conversation (validated by the importer like any other)."""
    requester = _person(export, ticket.get("requester_id"))
    comments = sorted(export.comments.get(ticket["id"], []), key=lambda c: c.get("created_at", ""))
    status = STATUSES.get(ticket.get("status", ""), "open")
    group = export.groups.get(ticket.get("group_id")) or {}
    return {
        "external_id": str(ticket["id"]),
        "created_at": ticket.get("created_at"),
        "channel": CHANNELS.get((ticket.get("via") or {}).get("channel", ""), "other"),
        "subject": ticket.get("subject") or ticket.get("raw_subject") or "",
        "customer": {
            "external_id": str(ticket["requester_id"]) if ticket.get("requester_id") else "",
            "name": requester.get("name", ""),
            "email": requester.get("email") or "",
        },
        "agent": _agent_key(export, ticket.get("assignee_id")),
        "team": group.get("name", ""),
        "status": status,
        "urgency": PRIORITIES.get(ticket.get("priority") or "", ""),
        "tags": [t for t in ticket.get("tags") or [] if isinstance(t, str)],
        # The ticket object has no solve time (Zendesk's ticket metrics do): a solved or
        # closed ticket counts as resolved at its last comment.
        "resolved_at": comments[-1].get("created_at")
        if comments and status in ("resolved", "closed") else None,
        "messages": [_message(export, ticket, c) for c in comments],
    }  # fmt: skip


def left_out(ticket: dict[str, Any]) -> str:
    """Why a ticket is not imported ("" when it is)."""
    if ticket.get("status") == "deleted":
        return "deleted in Zendesk"
    if MERGED_TAG in (ticket.get("tags") or []):
        return "merged into another ticket (its comments are there)"
    return ""


def satisfaction(export: Export, source: str) -> list[SurveyRecord]:
    """The rated tickets' satisfaction as survey answers (offered but unanswered: none)."""
    records = []
    for ticket in export.tickets:
        rating = ticket.get("satisfaction_rating") or {}
        score = SATISFACTION.get(rating.get("score"))
        if score is None or left_out(ticket):
            continue
        records.append(SurveyRecord(
            line=ticket["id"], source=source,  # (errors name the ticket)
            external_id=str(rating.get("id") or f"ticket-{ticket['id']}"),
            conversation_source=source, conversation_id=str(ticket["id"]),
            # (the ticket carries no rating time: its last update stands in for it)
            answered_at=_when(ticket.get("updated_at")) or timezone.now(),
            csat=score, csat_scale=5, comment=str(rating.get("comment") or "")[:5000],
        ))  # fmt: skip
    return records


def _when(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


# — the import —


@dataclass
class Result:
    report: ImportReport
    skipped: list[tuple[int, str]]  # (ticket id, why)
    surveys: tuple[int, int, int, list[RowError], list[RowError]]
    tickets: list[int]  # in the order of the native lines (line N is tickets[N-1])

    def ticket_of(self, line: int) -> Any:
        return self.tickets[line - 1] if 0 < line <= len(self.tickets) else "?"


def import_export(
    export: Export, *, connection: Connection, by: Any = None, create_missing: bool = False
) -> Result:
    """Import the tickets and ratings, then remember where the next run starts."""
    source = connection.source
    lines, order, skipped = [], [], []
    for ticket in export.tickets:
        reason = left_out(ticket)
        if reason:
            skipped.append((ticket.get("id"), reason))
            continue
        lines.append(json.dumps(conversation(export, ticket), ensure_ascii=True))
        order.append(ticket.get("id"))
    report = import_conversations(
        "\n".join(lines).encode(), kind="native", source=source, by=by,
        file_name=f"Zendesk {connection.name}", create_missing=create_missing,
    )  # fmt: skip
    surveys = upsert_survey_responses(satisfaction(export, source))
    with transaction.atomic():
        Connection.objects.filter(pk=connection.pk).update(
            cursor=export.cursor or connection.cursor, last_run_at=timezone.now(),
            last_summary=report.summary()[:300],
        )  # fmt: skip
    return Result(report, skipped, surveys, order)


# — fetching (only when asked: `supportqa zendesk fetch`) —


def fetch(connection: Connection, *, base_url: str, email: str, token: str, into: Path,
          start_time: int = 0) -> Path:  # fmt: skip
    """Download what changed since the connection's cursor (or `start_time` on the first
    run) into `into`, as an export folder, and return it."""
    auth = base64.b64encode(f"{email}/token:{token}".encode()).decode()
    base = base_url.rstrip("/")

    def get(url: str) -> dict[str, Any]:
        request = urllib.request.Request(url, headers={
            "Authorization": f"Basic {auth}", "Accept": "application/json",
            "User-Agent": "SupportQA Zendesk connector",
        })  # fmt: skip
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.loads(answer.read())

    into.mkdir(parents=True, exist_ok=True)
    (into / "comments").mkdir(exist_ok=True)
    query = {"include": "users,groups"}
    query.update({"cursor": connection.cursor} if connection.cursor else
                 {"start_time": str(start_time)})  # fmt: skip
    url: str | None = (
        f"{base}/api/v2/incremental/tickets/cursor.json?{urllib.parse.urlencode(query)}"
    )
    number = 0
    while url:
        number += 1
        page = get(url)
        (into / f"tickets-{number:05d}.json").write_text(json.dumps(page))
        for ticket in page.get("tickets") or []:
            _fetch_comments(get, base, ticket["id"], into / "comments")
        url = None if page.get("end_of_stream") else page.get("after_url")
    return into


def _fetch_comments(get: Any, base: str, ticket_id: int, folder: Path) -> None:
    url: str | None = f"{base}/api/v2/tickets/{ticket_id}/comments.json?include=users"
    number = 0
    while url:
        number += 1
        page = get(url)
        name = f"{ticket_id}.json" if number == 1 else f"{ticket_id}-{number}.json"
        (folder / name).write_text(json.dumps(page))
        url = page.get("next_page")


def download_folder(connection: Connection) -> Path:
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
    return Path(settings.DATA_DIR) / "zendesk" / connection.name / stamp


def iter_problems(result: Result) -> Iterator[str]:
    for error in result.report.errors:
        yield f"ticket {result.ticket_of(error.line)}: {error.field}: {error.reason}"
    for ticket_id, why in result.skipped:
        yield f"ticket {ticket_id}: left out: {why}"
