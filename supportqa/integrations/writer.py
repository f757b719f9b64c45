"""Write validated records to the database: upsert by (source, external id), one batch at a time.

Conversations and messages go in as plain rows (`bulk.insert_rows`: COPY on PostgreSQL,
`executemany` on SQLite): at a million rows the ORM's per-object overhead would dominate the
import (bench/import.py measures it against plain executemany into the same tables).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Model
from django.utils import timezone

from supportqa.accounts.models import Membership, Role, Team, User
from supportqa.bulk import executemany, insert_rows
from supportqa.codes import new_code
from supportqa.conversations.actions import conversations_changed
from supportqa.conversations.models import (
    Category,
    Conversation,
    Customer,
    Message,
    derive_durations,
    erased_customers,
)
from supportqa.integrations.records import ConversationRecord, MessageRecord, RowError
from supportqa.reviews.actions import follow_teams
from supportqa.surveys.actions import sync_owners


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
        self.reload()
        # JSON as text, for both databases: PostgreSQL casts it on COPY and on UPDATE alike,
        # and a driver-side JSON wrapper would be encoded again for every message.
        self._json = json.dumps
        self._empty_list = self._json([])
        # SQLite keeps UTC datetimes as text; Django's per-value adapter is the import's hot
        # spot at a million messages, so format them directly (same text Django writes).
        self._when = _sqlite_datetime if connection.vendor == "sqlite" else _as_is

    def reload(self) -> None:
        """Read people, teams and categories again (after a rollback undid some it created)."""
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
            defaults={"role": Role.AGENT, "external_id": key, "display_name": key[:150]},
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
        records = [r.record for r in items]
        customers = self._customers(records)
        existing = _stored_digests(records)
        new: list[tuple[ConversationRecord, dict[str, Any]]] = []
        changed_values: dict[int, tuple[ConversationRecord, dict[str, Any]]] = {}
        for item in items:
            record = item.record
            digest = record.content_hash()
            pk, stored_digest = existing.get(record.key, (None, ""))
            if stored_digest == digest:
                result.unchanged += 1
                continue
            values = self._values(item, digest, customers)
            if pk is None:
                new.append((record, values))
            else:
                changed_values[pk] = (record, values)
        touched = list(changed_values)
        affected = set(customers.values())
        if new:
            touched.extend(self._insert_conversations(new))
        if changed_values:
            affected |= self._update_conversations(changed_values)
        if touched:
            conversations_changed(conversation_ids=touched, customer_ids=affected)
        result.created, result.updated = len(new), len(changed_values)
        return result

    def _update_conversations(
        self, changed_values: dict[int, tuple[ConversationRecord, dict[str, Any]]]
    ) -> set[int]:
        """Write the new values and messages of conversations whose content changed. Returns
        the customers they had before (a conversation may move to another customer)."""
        previous_customers: set[int] = set()
        changed: list[tuple[Conversation, list[MessageRecord]]] = []
        moved: list[int] = []  # to another team
        for conversation in Conversation.objects.filter(pk__in=changed_values):
            record, values = changed_values[conversation.pk]
            if conversation.customer_id is not None:
                previous_customers.add(conversation.customer_id)
            team = conversation.team_id
            for name, value in values.items():
                setattr(conversation, name, value)
            if conversation.team_id != team:
                moved.append(conversation.pk)
            changed.append((conversation, record.messages))
        Conversation.objects.bulk_update([c for c, _ in changed], FILLED_FIELDS, batch_size=500)
        self._replace_messages(changed)
        sync_owners(conversation_ids=[c.pk for c, _ in changed])
        follow_teams(conversation_ids=moved)
        return previous_customers

    def _customers(self, records: Sequence[ConversationRecord]) -> dict[tuple[str, str], int]:
        wanted = {(r.source, r.customer_id): r for r in records if r.customer_id}
        if not wanted:
            return {}
        found = _lookup_keys(Customer._meta.db_table, wanted)
        missing = [key for key in wanted if key not in found]
        if missing:  # an erased customer stays erased: their conversations join that row
            found.update(erased_customers(missing))
            missing = [key for key in missing if key not in found]
        if missing:
            rows = [
                [
                    {
                        "code": new_code(),
                        "source": source,
                        "external_id": external_id,
                        "name": wanted[source, external_id].customer_name,
                        "email": wanted[source, external_id].customer_email,
                    }[name]
                    for name in CUSTOMER_COLUMNS
                ]
                for source, external_id in missing
            ]
            # DO NOTHING: another import may have created some of them meanwhile.
            insert_rows(Customer, CUSTOMER_COLUMNS, rows, on_conflict="ON CONFLICT DO NOTHING")
            found.update(_lookup_keys(Customer._meta.db_table, missing))
        return found

    def _values(
        self, item: Resolved, digest: str, customers: dict[tuple[str, str], int]
    ) -> dict[str, Any]:
        """The FILLED_FIELDS of a conversation, by attribute name."""
        record = item.record
        first_response_at = record.first_response_at
        first_seconds, resolution = derive_durations(
            record.created_at, first_response_at, record.resolved_at
        )
        return {
            "channel": record.channel,
            "subject": record.subject,
            "customer_id": customers.get((record.source, record.customer_id)),
            "agent_id": item.agent_id,
            "team_id": item.team_id,
            "category_id": item.category_id,
            "urgency": record.urgency,
            "complexity": record.complexity,
            "status": record.status,
            "tags": record.tags,
            "created_at": record.created_at,
            "first_response_at": first_response_at,
            "resolved_at": record.resolved_at,
            "reopen_count": record.reopen_count,
            "message_count": len(record.messages),
            "content_hash": digest,
            "first_response_seconds": first_seconds,
            "resolution_seconds": resolution,
        }

    def _insert_conversations(
        self, pairs: list[tuple[ConversationRecord, dict[str, Any]]]
    ) -> list[int]:
        """Plain rows (model instances cost more than the rows), then one SELECT for the ids.
        Returns the new conversations' ids."""
        now, when = self._when(timezone.now()), self._when
        rows = []
        for record, values in pairs:
            row = {
                **values,
                "code": new_code(),
                "source": record.source,
                "external_id": record.external_id,
                "imported_at": now,
                "repeat_contact_seconds": None,  # conversations_changed computes it
                "tags": self._json(values["tags"]),
            }
            for name in _DATETIMES:
                if row[name] is not None:
                    row[name] = when(row[name])
            rows.append([row[name] for name in CONVERSATION_COLUMNS])
        insert_rows(Conversation, CONVERSATION_COLUMNS, rows, prepared=True)
        ids = _lookup_keys(Conversation._meta.db_table, [r.key for r, _ in pairs])
        message_rows = [
            row
            for record, values in pairs
            for row in self._message_rows(ids[record.key], values["agent_id"], record.messages)
        ]
        insert_rows(Message, MESSAGE_COLUMNS, message_rows, prepared=True)
        return list(ids.values())

    def _message_rows(
        self, conversation_id: int, agent_id: int | None, messages: list[MessageRecord]
    ) -> list[list[Any]]:
        """INSERT rows for one transcript (a million per large import: kept lean)."""
        users, when, json_, empty = self.users, self._when, self._json, self._empty_list
        sqlite = self._when is _sqlite_datetime
        rows = []
        for seq, m in enumerate(messages):
            author_id = users.get(m.author.lower()) if m.author else None
            if author_id is None and m.author_kind == "agent":
                author_id = agent_id
            text = m.sent_text
            rows.append(
                [
                    conversation_id,
                    seq,
                    m.author_kind,
                    author_id,
                    m.author_name or m.author,
                    # The same text `_sqlite_datetime` would give, cut from the source's.
                    f"{text[:10]} {text[11:-6]}" if sqlite and text else when(m.sent_at),
                    m.text,
                    json_(m.attachments) if m.attachments else empty,
                ]
            )
        return rows

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
            rows = self._message_rows(conversation.pk, conversation.agent_id, messages)
            for seq, row in enumerate(rows):
                pk = current.get((conversation.pk, seq))
                if pk is None:
                    inserts.append(row)
                else:
                    keep.add(pk)
                    updates.append([*row[2:], pk])
        Message.objects.filter(conversation_id__in=ids).exclude(pk__in=keep).delete()
        executemany(UPDATE_MESSAGE, updates)
        insert_rows(Message, MESSAGE_COLUMNS, inserts, prepared=True)


def _stored_digests(
    records: Sequence[ConversationRecord],
) -> dict[tuple[str, str], tuple[int, str]]:
    """(source, external id) → (pk, content hash) of the records already stored."""
    return {
        key: (pk, digest)
        for key, pk, digest in _select_by_keys(
            Conversation._meta.db_table, [r.key for r in records], "content_hash"
        )
    }


def _lookup_keys(table: str, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(source, external id) → pk for the keys that exist in `table`."""
    return {key: pk for key, pk in _select_by_keys(table, keys)}


def _select_by_keys(
    table: str, keys: Iterable[tuple[str, str]], *columns: str
) -> Iterator[tuple[Any, ...]]:
    """((source, external id), pk, *columns) of the rows of `table` with these keys. Plain SQL:
    building Django Q objects for a thousand keys per batch costs more than the query."""
    by_source: dict[str, list[str]] = {}
    for source, external_id in keys:
        by_source.setdefault(source, []).append(external_id)
    selected = ", ".join(["id", "external_id", *columns])
    with connection.cursor() as cursor:
        for source, external_ids in by_source.items():
            for start in range(0, len(external_ids), _IN_CHUNK):
                chunk = external_ids[start : start + _IN_CHUNK]
                cursor.execute(
                    f"SELECT {selected} FROM {table} WHERE source = %s "
                    f"AND external_id IN ({', '.join(['%s'] * len(chunk))})",
                    [source, *chunk],
                )
                for pk, external_id, *rest in cursor.fetchall():
                    yield ((source, external_id), pk, *rest)


_IN_CHUNK = 900  # below SQLite's oldest limit of 999 parameters per statement


def _sqlite_datetime(value: datetime) -> str:
    """Django's text for an aware datetime on SQLite: naive UTC, `YYYY-MM-DD HH:MM:SS[.ffffff]`."""
    if value.tzinfo is not UTC:  # parsed timestamps already are; others are converted
        value = value.astimezone(UTC)
    return value.isoformat(" ")[:-6]  # drop the "+00:00" suffix


def _as_is(value: datetime) -> datetime:
    return value


def columns(model: type[Model]) -> list[str]:
    """Every column of a model but its id, in the model's order (attribute names, which are
    the column names): the raw statements below are built from these, so a field added to a
    model cannot be left out of them unnoticed."""
    return [f.attname for f in model._meta.concrete_fields if not f.primary_key]


CONVERSATION_COLUMNS = columns(Conversation)
# What a re-import may change (bulk_update takes these names): all but the identity, the
# import time and the repeat-contact gap, which conversations_changed keeps.
FILLED_FIELDS = [
    name
    for name in CONVERSATION_COLUMNS
    if name not in {"code", "source", "external_id", "imported_at", "repeat_contact_seconds"}
]
_DATETIMES = ("created_at", "first_response_at", "resolved_at")
# `_message_rows` builds rows positionally (a million per large import): in this order, which
# must be the model's (checked here, at import).
MESSAGE_COLUMNS = [
    "conversation_id",
    "seq",
    "author_kind",
    "author_id",
    "author_name",
    "sent_at",
    "text",
    "attachments",
]
if columns(Message) != MESSAGE_COLUMNS:
    raise ImproperlyConfigured(f"writer.MESSAGE_COLUMNS is not {columns(Message)}")
CUSTOMER_COLUMNS = columns(Customer)
UPDATE_MESSAGE = (
    f"UPDATE {Message._meta.db_table} SET "
    + ", ".join(f"{name} = %s" for name in MESSAGE_COLUMNS[2:])
    + " WHERE id = %s"
)
