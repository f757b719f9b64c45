"""Putting conversations on the AutoQA queue: one plain-SQL upsert (imports call it in every
batch, `supportqa autoqa run` for what is new or changed)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.utils import timezone

from supportqa.autoqa.models import Job
from supportqa.bulk import executemany

_UPSERT = (
    f"INSERT INTO {Job._meta.db_table} (conversation_id, status, done_hash, claimed_by, "
    "attempts, error, updated_at) VALUES (%s, 'pending', '', '', 0, '', %s) "
    "ON CONFLICT (conversation_id) DO UPDATE SET status = 'pending', error = '', "
    "updated_at = excluded.updated_at"
)


def queue_for_autoqa(conversation_ids: Sequence[int]) -> None:
    """Mark these conversations pending (creating their jobs where missing); a worker claims
    and scores them (`supportqa worker`, `supportqa autoqa run`). Safe inside the caller's
    transaction."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    executemany(_UPSERT, [(pk, now) for pk in conversation_ids])
