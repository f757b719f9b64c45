"""The tamper-evident archive (PRODUCT.md §3.1 step 13): a request's conversation and all its
records as one canonical JSON document, chained by SHA-256 to the record before it.

`verify()` names every record that was altered, removed or reordered; `expire()` applies the
retention policy by dropping bodies and keeping their hashes, so the chain still verifies.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from supportqa.conversations.models import Conversation
from supportqa.integrations.exporting import native_record, native_rows
from supportqa.workflow.models import ArchiveRecord, Request, canonical

_CHAIN_LOCK = 7_150_013  # PostgreSQL advisory lock: one writer extends the chain at a time


def document(request: Request, reason: str) -> dict[str, Any]:
    """Everything SupportQA holds about a request, as plain data: the conversation as the
    native export writes it (so an archived dialogue can be imported again), its reviews and
    surveys, and every step of the request."""
    c = request.conversation
    reviews = c.reviews.select_related("reviewer", "scorecard_version__scorecard").prefetch_related(
        "ratings__criterion", "ratings__option", "disputes"
    )
    return {
        "reason": reason,
        "request": {
            "code": request.code,
            "template": request.template.name,
            "state": request.state,
            "source": request.source,
            "steps": [
                {
                    "step": r.step.key,
                    "name": r.step.name,
                    "attempt": r.attempt,
                    "state": r.state,
                    "actor": r.actor.username if r.actor else "",
                    "started_at": r.started_at,
                    "finished_at": r.finished_at,
                    "data": r.data,
                    "shown": r.shown,
                    "comment": r.comment,
                }
                for r in request.records.select_related("step", "actor")
            ],
        },
        "conversation": {
            "code": c.code,
            **native_record(native_rows(Conversation.objects.filter(pk=c.pk)).get()),
        },
        "reviews": [
            {
                "code": r.code,
                "source": r.source,
                "reviewer": r.reviewer.username if r.reviewer else "",
                "scorecard": str(r.scorecard_version),
                "status": r.status,
                "final_score": r.final_score,
                "submitted_at": r.submitted_at,
                "ratings": [
                    {
                        "criterion": rating.criterion.key,
                        "option": rating.option.label if rating.option else "N/A",
                        "score": rating.score,
                        "comment": rating.comment,
                    }
                    for rating in r.ratings.all()
                ],
                "disputes": [
                    {"code": d.code, "status": d.status, "reason": d.reason}
                    for d in r.disputes.all()
                ],
            }
            for r in reviews
        ],
        "surveys": [
            {
                "answered_at": s.answered_at,
                "csat": s.csat,
                "nps": s.nps,
                "ces": s.ces,
                "comment": s.comment,
            }
            for s in c.survey_responses.all()
        ],  # fmt: skip
    }


def append(request: Request, reason: str) -> ArchiveRecord:
    """Archive the request as it is now, as the next record of the chain. Call inside the
    transition's transaction."""
    body = document(request, reason)
    digest = hashlib.sha256(canonical(body)).hexdigest()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])
        last = ArchiveRecord.objects.order_by("-sequence").first()
        entry = ArchiveRecord(
            sequence=(last.sequence + 1) if last else 1,
            request_code=request.code,
            conversation_code=request.conversation.code,
            # Stored as its canonical text read back, so the hash is of exactly what is kept.
            body=_plain(body),
            text=searchable(body),
            body_sha256=digest,
            prev_hash=last.hash if last else "",
            archived_at=timezone.now(),
        )
        entry.hash = entry.chained_hash()
        entry.save()
    return entry


def searchable(body: Any) -> str:
    """Every word of a document as plain text, for the archive's search (not hashed: it is
    derived from the body, and dropped with it)."""
    parts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str):
            parts.append(value)

    walk(body)
    return "\n".join(parts)


def _plain(body: dict[str, Any]) -> Any:
    return json.loads(canonical(body))


def verify() -> list[str]:
    """Every problem with the chain, naming the record: altered content or hash, a record
    removed (a gap in the numbers), a record out of its place (it does not follow the one
    before it). Empty when the archive is intact."""
    problems = []
    prev_hash, expected = "", 1
    for entry in ArchiveRecord.objects.order_by("sequence").iterator():
        name = f"record {entry.sequence} (request {entry.request_code})"
        if entry.sequence != expected:
            gone = (
                f"record {expected}"
                if entry.sequence == expected + 1
                else f"records {expected} to {entry.sequence - 1}"
            )
            problems.append(f"{gone} removed: the chain jumps to {entry.sequence}")
        if entry.prev_hash != prev_hash:
            problems.append(
                f"{name}: does not follow the record before it (moved, or one before it was "
                "removed or replaced)"
            )
        altered = hashlib.sha256(canonical(entry.body)).hexdigest() != entry.body_sha256
        if entry.body is not None and altered:
            problems.append(f"{name}: its content was altered")
        if entry.chained_hash() != entry.hash:
            problems.append(f"{name}: its hash or place was altered")
        prev_hash, expected = entry.hash, entry.sequence + 1
    return problems


def expire(before: datetime) -> int:
    """The retention policy: drop the bodies archived before `before`, keep their hashes."""
    return ArchiveRecord.objects.filter(archived_at__lt=before, body__isnull=False).update(
        body=None, text="", expired_at=timezone.now()
    )
