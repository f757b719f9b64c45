"""Exports in the import formats, so an export can be imported elsewhere unchanged."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet

from supportqa.bulk import in_one_transaction
from supportqa.conversations.models import Conversation, Message
from supportqa.core.csvcells import csv_line
from supportqa.reviews.models import Rating, Review

CHUNK = 2000  # rows read per database round trip


def _iso(value: Any) -> str:
    return value.isoformat() if value else ""


def conversation_jsonl(conversations: QuerySet[Conversation]) -> Iterator[str]:
    """Native JSONL (docs/import-formats.md): one conversation per line."""
    for c in native_rows(conversations).order_by("pk").iterator(chunk_size=CHUNK):
        yield json.dumps(native_record(c), ensure_ascii=False) + "\n"


def native_rows(conversations: QuerySet[Conversation]) -> QuerySet[Conversation]:
    """The conversations with what `native_record` reads loaded, messages in order."""
    return conversations.select_related("agent", "team", "category", "customer").prefetch_related(
        Prefetch("messages", queryset=Message.objects.select_related("author").order_by("seq"))
    )


def native_record(c: Conversation) -> dict[str, Any]:
    """A conversation with its messages as one native-format object (docs/import-formats.md):
    the export's lines and the archive's documents. Read from `native_rows`."""
    return {
        "source": c.source,
        "external_id": c.external_id,
        "channel": c.channel,
        "subject": c.subject,
        "agent": c.agent.username if c.agent else "",
        "team": c.team.name if c.team else "",
        "category": c.category.name if c.category else "",
        "urgency": c.urgency,
        "complexity": c.complexity,
        "status": c.status,
        "tags": c.tags,
        "created_at": _iso(c.created_at),
        "resolved_at": _iso(c.resolved_at) or None,
        "reopen_count": c.reopen_count,
        "customer": {
            "external_id": c.customer.external_id,
            "name": c.customer.name,
            "email": c.customer.email,
        }
        if c.customer
        else {},
        "messages": [
            {
                "author_kind": m.author_kind,
                "author": m.author.username if m.author else "",
                "author_name": m.author_name,
                "sent_at": _iso(m.sent_at),
                "text": m.text,
                "attachments": m.attachments,
            }
            for m in c.messages.all()
        ],
    }


def _name(related: Any, attribute: str = "name") -> str:
    return getattr(related, attribute) if related is not None else ""


# Each CSV export is one table of (column, how to read it): the header and every row come from
# the same list, so they cannot drift apart.
CONVERSATION_CSV: list[tuple[str, str]] = [  # (column, field path read with values_list)
    ("conversation_id", "external_id"),
    ("source", "source"),
    ("channel", "channel"),
    ("subject", "subject"),
    ("agent", "agent__username"),
    ("team", "team__name"),
    ("category", "category__name"),
    ("status", "status"),
    ("created_at", "created_at"),
    ("resolved_at", "resolved_at"),
    ("reopen_count", "reopen_count"),
    ("message_count", "message_count"),
]
REVIEW_CSV: list[tuple[str, Callable[[Review], Any]]] = [
    ("review_id", lambda r: r.code),
    ("conversation_id", lambda r: r.conversation.external_id),
    ("source", lambda r: r.source),
    ("reviewee", lambda r: r.reviewee.username),
    ("reviewer", lambda r: _name(r.reviewer, "username")),
    ("scorecard", lambda r: r.scorecard_version.scorecard.name),
    ("version", lambda r: r.scorecard_version.number),
    ("status", lambda r: r.status),
    ("raw_score", lambda r: r.raw_score),
    ("final_score", lambda r: r.final_score),
    ("critical_failed", lambda r: r.critical_failed),
    ("submitted_at", lambda r: _iso(r.submitted_at)),
]
RATING_CSV: list[tuple[str, Callable[[Rating], Any]]] = [
    ("criterion", lambda x: x.criterion.name),
    ("rating", lambda x: "N/A" if x.is_na else _name(x.option, "label")),
    ("criterion_score", lambda x: x.score),
    ("comment", lambda x: x.comment),
]


def conversation_csv(conversations: QuerySet[Conversation]) -> Iterator[str]:
    """Plain values, not model instances (a fifth of the time per row)."""
    yield csv_line([name for name, _ in CONVERSATION_CSV])
    rows = conversations.order_by("pk").values_list(*(path for _, path in CONVERSATION_CSV))
    for row in rows.iterator(chunk_size=CHUNK):
        yield csv_line([_iso(v) if isinstance(v, datetime) else v for v in row])


def _review_rows(reviews: QuerySet[Review]) -> QuerySet[Review]:
    return (
        reviews.select_related(
            "conversation", "reviewee", "reviewer", "scorecard_version__scorecard"
        )
        .prefetch_related(
            Prefetch("ratings", queryset=Rating.objects.select_related("criterion", "option"))
        )
        .order_by("pk")
    )


def review_csv(reviews: QuerySet[Review]) -> Iterator[str]:
    """One row per rating; review columns repeat."""
    yield csv_line([name for name, _ in (*REVIEW_CSV, *RATING_CSV)])
    for r in _review_rows(reviews).iterator(chunk_size=CHUNK):
        head = [read(r) for _, read in REVIEW_CSV]
        for rating in r.ratings.all():
            yield csv_line([*head, *(read(rating) for _, read in RATING_CSV)])


def review_jsonl(reviews: QuerySet[Review]) -> Iterator[str]:
    for r in _review_rows(reviews).iterator(chunk_size=CHUNK):
        yield (
            json.dumps(
                {
                    "review_id": r.code,
                    "conversation": {
                        "source": r.conversation.source,
                        "external_id": r.conversation.external_id,
                    },
                    "source": r.source,
                    "reviewee": r.reviewee.username,
                    "reviewer": r.reviewer.username if r.reviewer else None,
                    "scorecard": r.scorecard_version.scorecard.slug,
                    "version": r.scorecard_version.number,
                    "status": r.status,
                    "raw_score": r.raw_score,
                    "final_score": r.final_score,
                    "critical_failed": r.critical_failed,
                    "submitted_at": _iso(r.submitted_at) or None,
                    "overall_comment": r.overall_comment,
                    "ratings": [
                        {
                            "criterion": x.criterion.key,
                            "rating": None if x.is_na else (x.option.label if x.option else None),
                            "score": x.score,
                            "comment": x.comment,
                        }
                        for x in r.ratings.all()
                    ],
                },
                ensure_ascii=False,
            )
            + "\n"
        )


WRITERS: dict[tuple[str, str], Callable[[Any], Iterator[str]]] = {
    ("conversations", "csv"): conversation_csv,
    ("conversations", "jsonl"): conversation_jsonl,
    ("reviews", "csv"): review_csv,
    ("reviews", "jsonl"): review_jsonl,
}


def export_lines(what: str, fmt: str, rows: QuerySet[Any]) -> Iterator[str]:
    """The lines of an export (a key of WRITERS) of these conversations or reviews, read
    inside one transaction (`in_one_transaction` says why): the page's and the CLI's."""
    return in_one_transaction(WRITERS[what, fmt](rows))
