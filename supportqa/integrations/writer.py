"""Write validated records to the database: upsert by (source, external id), one batch at a time.

Messages go through `executemany` on the connection: at a million rows the ORM's per-object
overhead would dominate the import (bench/import.py measures it against plain sqlite3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import connection
from django.db.models import Q

from supportqa.accounts.models import Membership, Role, Team, User
from supportqa.conversations.models import Category, Conversation, Customer, Message
from supportqa.core.kpis import first_response_seconds
from supportqa.integrations.records import ConversationRecord, MessageRecord, RowError


@dataclass
class BatchResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: BatchResult) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged


@dataclass(frozen=True)
class Resolved:
    record: ConversationRecord
    agent_id: int | None
    team_id: int | None
    category_id: int | None


class ConversationWriter:
    def __init__(self, *, create_missing: bool = False) -> None:
        self.create_missing = create_missing
        self.users: dict[str, int] = {}
        for pk, username, email, external_id in User.objects.values_list(
            "pk", "username", "email", "external_id"
        ):
            for key in (username, email, external_id):
                if key:
                    self.users.setdefault(key.lower(), pk)
        self.teams = {name.lower(): pk for pk, name in Team.objects.values_list("pk", "name")}
        self.categories = {
            name.lower(): pk for pk, name in Category.objects.values_list("pk", "name")
        }

    # --- lookups -------------------------------------------------------------------------------

    def resolve(self, record: ConversationRecord) -> Resolved | RowError:
        try:
            team_id = self._lookup(self.teams, record.team, "team", self._new_team)
            agent_id = self._lookup(self.users, record.agent, "agent", self._new_agent)
            category_id = self._lookup(
                self.categories, record.category, "category", self._new_category
            )
        except LookupError as exc:
            field, reason = exc.args
            return RowError(record.line, field, reason)
        if agent_id and team_id and self.create_missing:
            Membership.objects.get_or_create(user_id=agent_id, team_id=team_id)
        return Resolved(record, agent_id, team_id, category_id)

    def _lookup(self, table: dict[str, int], name: str, field: str, create: Any) -> int | None:
        if not name:
            return None
        pk = table.get(name.lower())
        if pk is not None:
            return pk
        if not self.create_missing:
            raise LookupError(
                field, f"{name!r} is unknown; create it first or pass --create-missing"
            )
        pk = create(name)
        table[name.lower()] = pk
        return pk

    @staticmethod
    def _new_team(name: str) -> int:
        return Team.objects.get_or_create(name=name)[0].pk

    @staticmethod
    def _new_category(name: str) -> int:
        return Category.objects.get_or_create(name=name)[0].pk

    @staticmethod
    def _new_agent(key: str) -> int:
        username = key if "@" not in key else key.split("@")[0]
        user, created = User.objects.get_or_create(
            username=username[:150],
            defaults={"role": Role.AGENT, "external_id": key, "display_name": key},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        return user.pk

    # --- writes ------------------------------------------------------------------------------

    def write(self, items: Sequence[Resolved]) -> BatchResult:
        """Upsert one batch. Call inside a transaction."""
        result = BatchResult()
        if not items:
            return result
        customers = self._customers([r.record for r in items])
        existing = self._existing([r.record for r in items])
        new: list[tuple[Conversation, list[MessageRecord]]] = []
        changed: list[tuple[Conversation, list[MessageRecord]]] = []
        for item in items:
            record = item.record
            digest = record.content_hash()
            current = existing.get(record.key)
            if current is not None and current.content_hash == digest:
                result.unchanged += 1
                continue
            conversation = current or Conversation(
                source=record.source, external_id=record.external_id
            )
            self._fill(conversation, item, digest, customers)
            (changed if current is not None else new).append((conversation, record.messages))
        Conversation.objects.bulk_create([c for c, _ in new], batch_size=500)
        if changed:
            Conversation.objects.bulk_update([c for c, _ in changed], FILLED_FIELDS, batch_size=500)
            self._replace_messages(changed)
        self._insert_messages(new)
        result.created, result.updated = len(new), len(changed)
        return result

    def _customers(self, records: Sequence[ConversationRecord]) -> dict[tuple[str, str], int]:
        wanted = {(r.source, r.customer_id): r for r in records if r.customer_id}
        if not wanted:
            return {}
        Customer.objects.bulk_create(
            [
                Customer(source=s, external_id=e, name=r.customer_name, email=r.customer_email)
                for (s, e), r in wanted.items()
            ],
            ignore_conflicts=True,
        )
        query = Q()
        for source in {s for s, _ in wanted}:
            query |= Q(source=source, external_id__in=[e for s2, e in wanted if s2 == source])
        return {
            (s, e): pk
            for pk, s, e in Customer.objects.filter(query).values_list(
                "pk", "source", "external_id"
            )
        }

    def _existing(
        self, records: Sequence[ConversationRecord]
    ) -> dict[tuple[str, str], Conversation]:
        query = Q()
        for source in {r.source for r in records}:
            query |= Q(
                source=source,
                external_id__in=[r.external_id for r in records if r.source == source],
            )
        return {(c.source, c.external_id): c for c in Conversation.objects.filter(query)}

    def _fill(
        self,
        conversation: Conversation,
        item: Resolved,
        digest: str,
        customers: dict[tuple[str, str], int],
    ) -> None:
        record = item.record
        reply = first_response_seconds(
            ((m.author_kind, m.sent_at) for m in record.messages), record.created_at
        )
        conversation.channel = record.channel
        conversation.subject = record.subject
        conversation.customer_id = customers.get((record.source, record.customer_id))
        conversation.agent_id = item.agent_id
        conversation.team_id = item.team_id
        conversation.category_id = item.category_id
        conversation.urgency = record.urgency
        conversation.complexity = record.complexity
        conversation.status = record.status
        conversation.tags = record.tags
        conversation.created_at = record.created_at
        conversation.first_response_at = (
            None if reply is None else record.created_at + timedelta(seconds=reply)
        )
        conversation.resolved_at = record.resolved_at
        conversation.reopen_count = record.reopen_count
        conversation.message_count = len(record.messages)
        conversation.content_hash = digest

    def _message_row(
        self, conversation: Conversation, seq: int, message: MessageRecord
    ) -> list[Any]:
        ops = connection.ops
        author_id = self.users.get(message.author.lower()) if message.author else None
        if author_id is None and message.author_kind == "agent":
            author_id = conversation.agent_id
        return [
            conversation.pk,
            seq,
            message.author_kind,
            author_id,
            message.author_name or message.author,
            ops.adapt_datetimefield_value(message.sent_at),
            message.text,
            ops.adapt_json_value(message.attachments, None),
        ]

    def _insert_messages(self, pairs: Sequence[tuple[Conversation, list[MessageRecord]]]) -> None:
        rows = [
            self._message_row(conversation, seq, message)
            for conversation, messages in pairs
            for seq, message in enumerate(messages)
        ]
        if rows:
            with connection.cursor() as cursor:
                cursor.executemany(INSERT_MESSAGE, rows)

    def _replace_messages(self, pairs: Sequence[tuple[Conversation, list[MessageRecord]]]) -> None:
        """Update messages in place by position so evidence links from reviews survive."""
        ids = [c.pk for c, _ in pairs]
        current = {
            (conv_id, seq): pk
            for pk, conv_id, seq in Message.objects.filter(conversation_id__in=ids).values_list(
                "pk", "conversation_id", "seq"
            )
        }
        updates, inserts, keep = [], [], set()
        for conversation, messages in pairs:
            for seq, message in enumerate(messages):
                row = self._message_row(conversation, seq, message)
                pk = current.get((conversation.pk, seq))
                if pk is None:
                    inserts.append(row)
                else:
                    keep.add(pk)
                    updates.append([*row[2:], pk])
        Message.objects.filter(conversation_id__in=ids).exclude(pk__in=keep).delete()
        with connection.cursor() as cursor:
            if updates:
                cursor.executemany(UPDATE_MESSAGE, updates)
            if inserts:
                cursor.executemany(INSERT_MESSAGE, inserts)


FILLED_FIELDS = [
    "channel",
    "subject",
    "customer",
    "agent",
    "team",
    "category",
    "urgency",
    "complexity",
    "status",
    "tags",
    "created_at",
    "first_response_at",
    "resolved_at",
    "reopen_count",
    "message_count",
    "content_hash",
]
_TABLE = Message._meta.db_table
INSERT_MESSAGE = (
    f"INSERT INTO {_TABLE} (conversation_id, seq, author_kind, author_id, author_name, sent_at, "
    "text, attachments) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)
UPDATE_MESSAGE = (
    f"UPDATE {_TABLE} SET author_kind = %s, author_id = %s, author_name = %s, sent_at = %s, "
    "text = %s, attachments = %s WHERE id = %s"
)
