"""Putting conversations on the AutoQA queue: one plain-SQL upsert (imports call it in every
batch, `supportqa autoqa run` for what is new or changed): one statement on PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone

from supportqa.autoqa.models import Job
from supportqa.bulk import insert_rows


def queue_for_autoqa(conversation_ids: Sequence[int]) -> None:
    """Mark these conversations pending (creating their jobs where missing); a worker claims
    and scores them (`supportqa worker`, `supportqa autoqa run`). Safe inside the caller's
    transaction."""
    now = timezone.now()
    insert_rows(
        Job,
        ("conversation_id", "status", "done_hash", "claimed_by", "attempts", "error", "updated_at"),
        [(pk, Job.Status.PENDING.value, "", "", 0, "", now) for pk in conversation_ids],
        on_conflict="ON CONFLICT (conversation_id) DO UPDATE SET status = 'pending', "
        "error = '', updated_at = excluded.updated_at",
    )
