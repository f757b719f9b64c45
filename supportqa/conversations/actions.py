from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import Any

from django.db import connection
from django.db.models import Max, QuerySet
from django.utils import timezone

from supportqa.bulk import executemany
from supportqa.conversations.models import Conversation, Message, repeat_contact_gaps
from supportqa.conversations.signals import conversations_written

_UPDATE_REPEAT = (
    f"UPDATE {Conversation._meta.db_table} SET repeat_contact_seconds = %s WHERE id = %s"
)
# PostgreSQL: one statement for all of them, so its statement triggers (the rollups' day
# marks) run once, not once per conversation.
_UPDATE_REPEATS = (
    f"UPDATE {Conversation._meta.db_table} AS c SET repeat_contact_seconds = v.gap "
    "FROM unnest(%s::bigint[], %s::bigint[]) AS v(gap, id) WHERE c.id = v.id"
)
_CHUNK = 500


def _raw_rows(query: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """Rows without Django's per-value converters: every import batch reads thousands of
    timestamps here, and on SQLite `fromisoformat` is several times faster than the converter."""
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _when(value: datetime | str | None) -> datetime | None:
    # SQLite returns stored text (naive UTC), PostgreSQL aware datetimes; either subtracts.
    return datetime.fromisoformat(value) if isinstance(value, str) else value


# Columns a bulk update may not set: their derived durations would go stale (write them
# through the importer, or save() one conversation).
_TIMESTAMPS = frozenset({"created_at", "first_response_at", "resolved_at"})


def conversations_changed(*, conversation_ids: Sequence[int], customer_ids: Iterable[int]) -> None:
    """What every writer of conversations calls after changing them (importer, web
    categorization, anything later), in the writing transaction: repeat contacts (FCR) of
    their customers are recomputed and `conversations_written` is sent (AutoQA queues them).
    Give the customers before and after the change (a conversation may have moved)."""
    refresh_repeat_contacts(customer_ids=customer_ids)
    conversations_written.send(sender=Conversation, conversation_ids=conversation_ids)


def update_conversations(conversations: QuerySet[Conversation], **values: Any) -> int:
    """Set fields of many conversations at once, then refresh what derives from them.
    Returns how many changed. Call inside a transaction."""
    if _TIMESTAMPS & set(values):
        raise ValueError(f"timestamps cannot be bulk-updated: {sorted(_TIMESTAMPS & set(values))}")
    rows = list(conversations.values_list("pk", "customer_id"))
    ids = [pk for pk, _ in rows]
    changed = Conversation.objects.filter(pk__in=ids).update(**values)
    customers = {c for _, c in rows if c is not None}
    if "customer_id" in values or "customer" in values:
        customers |= set(
            Conversation.objects.filter(pk__in=ids, customer__isnull=False).values_list(
                "customer_id", flat=True
            )
        )
    conversations_changed(conversation_ids=ids, customer_ids=customers)
    return changed


def refresh_repeat_contacts(*, customer_ids: Iterable[int]) -> int:
    """Recompute `repeat_contact_seconds` for every conversation of these customers.

    Call inside the transaction that wrote their conversations. Returns how many rows changed.
    """
    ids = sorted(set(customer_ids))
    updates: list[tuple[int | None, int]] = []
    for start in range(0, len(ids), _CHUNK):
        rows = _raw_rows(
            Conversation.objects.filter(customer_id__in=ids[start : start + _CHUNK])
            .order_by("customer_id", "category_id", "created_at", "pk")
            .values_list(
                "pk",
                "customer_id",
                "category_id",
                "created_at",
                "resolved_at",
                "repeat_contact_seconds",
            )
        )
        for _, grouped in groupby(rows, key=itemgetter(1, 2)):
            group = list(grouped)
            if len(group) == 1:  # most customers: one conversation per category, no repeat
                if group[0][5] is not None:
                    updates.append((None, group[0][0]))
                continue
            gaps = repeat_contact_gaps([(_when(r[3]), _when(r[4])) for r in group])
            updates.extend((gap, r[0]) for r, gap in zip(group, gaps, strict=True) if gap != r[5])
    if connection.vendor == "postgresql" and updates:
        with connection.cursor() as cursor:
            gaps, ids = [gap for gap, _ in updates], [pk for _, pk in updates]
            cursor.execute(_UPDATE_REPEATS, [gaps, ids])
    else:
        executemany(_UPDATE_REPEAT, updates)
    return len(updates)


def add_reply(conversation: Conversation, *, author: Any, text: str) -> Message:
    """A representative's reply written in SupportQA: the next message of the conversation,
    its first reply time when it is the first, and what derives from it refreshed (AutoQA
    scores the conversation again). Call inside a transaction."""
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    now = timezone.now()
    last = locked.messages.aggregate(last=Max("seq"))["last"]
    message = Message.objects.create(
        conversation=locked, seq=0 if last is None else last + 1, author_kind="agent",
        author=author, sent_at=now, text=text,
    )  # fmt: skip
    locked.message_count = locked.messages.count()
    if locked.first_response_at is None:
        locked.first_response_at = now
    locked.save()  # derives the first response time
    conversations_changed(
        conversation_ids=[locked.pk],
        customer_ids=[locked.customer_id] if locked.customer_id else [],
    )
    return message


SUPPORTQA_SOURCE = "supportqa"


def create_request(
    *, subject: str, text: str, channel: str, team: Any, category: Any, customer_name: str,
    customer_email: str,
) -> Conversation:  # fmt: skip
    """A customer request entered in SupportQA (a call, a letter, a walk-in): a conversation
    of its own source with the customer's message, through the same write path as imports.
    Call inside a transaction."""
    from supportqa.codes import new_code
    from supportqa.conversations.models import Customer

    now = timezone.now()
    customer = None
    if customer_email or customer_name:
        customer, _ = Customer.objects.get_or_create(
            source=SUPPORTQA_SOURCE, external_id=customer_email.lower() or f"walk-in-{new_code()}",
            defaults={"name": customer_name, "email": customer_email},
        )  # fmt: skip
    conversation = Conversation.objects.create(
        source=SUPPORTQA_SOURCE, external_id=new_code(), channel=channel, subject=subject,
        team=team, category=category, customer=customer, created_at=now, message_count=1,
    )  # fmt: skip
    Message.objects.create(
        conversation=conversation, seq=0, author_kind="customer",
        author_name=customer_name, sent_at=now, text=text,
    )  # fmt: skip
    conversations_changed(
        conversation_ids=[conversation.pk], customer_ids=[customer.pk] if customer else []
    )
    return conversation
