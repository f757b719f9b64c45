"""Write validated records to the database: upsert by (source, external id), one batch at a time.

Messages go through `executemany` on the connection: at a million rows the ORM's per-object
overhead would dominate the import (bench/import.py measures it against plain sqlite3).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from supportqa.accounts.models import Membership, Role, Team, User
from supportqa.bulk import executemany
from supportqa.codes import new_code
from supportqa.conversations.actions import conversations_changed
from supportqa.conversations.models import (
    Category,
    Conversation,
    Customer,
    Message,
    derive_durations,
)
from supportqa.integrations.records import ConversationRecord, MessageRecord, RowError
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
        ops = connection.ops
        self._json = lambda value: ops.adapt_json_value(value, None)
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
        existing = {
            key: (pk, digest)
            for key, pk, digest in _select_by_keys(
                Conversation._meta.db_table, [r.key for r in records], "content_hash"
            )
        }
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
            changed = []
            for conversation in Conversation.objects.filter(pk__in=changed_values):
                record, values = changed_values[conversation.pk]
                if conversation.customer_id is not None:  # it may move to another customer
                    affected.add(conversation.customer_id)
                for name, value in values.items():
                    setattr(conversation, name, value)
                changed.append((conversation, record.messages))
            Conversation.objects.bulk_update([c for c, _ in changed], FILLED_FIELDS, batch_size=500)
            self._replace_messages(changed)
            sync_owners(conversation_ids=[c.pk for c, _ in changed])
        if touched:
            conversations_changed(conversation_ids=touched, customer_ids=affected)
        result.created, result.updated = len(new), len(changed_values)
        return result

    def _customers(self, records: Sequence[ConversationRecord]) -> dict[tuple[str, str], int]:
        wanted = {(r.source, r.customer_id): r for r in records if r.customer_id}
        if not wanted:
            return {}
        found = _lookup_keys(Customer._meta.db_table, wanted)
        missing = [key for key in wanted if key not in found]
        if missing:
            rows = [
                (new_code(), s, e, wanted[s, e].customer_name, wanted[s, e].customer_email)
                for s, e in missing
            ]
            # DO NOTHING: another import may have created some of them meanwhile.
            executemany(INSERT_CUSTOMER, rows)
            found.update(_lookup_keys(Customer._meta.db_table, missing))
        return found

    def _values(
        self, item: Resolved, digest: str, customers: dict[tuple[str, str], int]
    ) -> dict[str, Any]:
        """Column values (by attribute name) of a conversation, in FILLED_FIELDS order."""
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
        """Plain INSERTs (model instances cost more than the rows), then one SELECT for the ids.
        Returns the new conversations' ids."""
        now, when = self._when(timezone.now()), self._when
        rows = []
        for record, values in pairs:
            row = [new_code(), record.source, record.external_id, *values.values(), now]
            row[_TAGS] = self._json(row[_TAGS])
            for index in _DATETIMES:
                if row[index] is not None:
                    row[index] = when(row[index])
            rows.append(row)
        executemany(INSERT_CONVERSATION, rows)
        ids = _lookup_keys(Conversation._meta.db_table, [r.key for r, _ in pairs])
        message_rows = [
            row
            for record, values in pairs
            for row in self._message_rows(ids[record.key], values["agent_id"], record.messages)
        ]
        executemany(INSERT_MESSAGE, message_rows)
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
        executemany(INSERT_MESSAGE, inserts)


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


# The attributes `_values` fills, in its order; bulk_update takes the same names.
FILLED_FIELDS = [
    "channel",
    "subject",
    "customer_id",
    "agent_id",
    "team_id",
    "category_id",
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
    "first_response_seconds",
    "resolution_seconds",
]
_COLUMNS = ["code", "source", "external_id", *FILLED_FIELDS, "imported_at"]
_TAGS = _COLUMNS.index("tags")
_DATETIMES = tuple(_COLUMNS.index(n) for n in ("created_at", "first_response_at", "resolved_at"))
INSERT_CONVERSATION = (
    f"INSERT INTO {Conversation._meta.db_table} ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join(['%s'] * len(_COLUMNS))})"
)
_TABLE = Message._meta.db_table
INSERT_MESSAGE = (
    f"INSERT INTO {_TABLE} (conversation_id, seq, author_kind, author_id, author_name, sent_at, "
    "text, attachments) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)
INSERT_CUSTOMER = (
    f"INSERT INTO {Customer._meta.db_table} (code, source, external_id, name, email) "
    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
)
UPDATE_MESSAGE = (
    f"UPDATE {_TABLE} SET author_kind = %s, author_id = %s, author_name = %s, sent_at = %s, "
    "text = %s, attachments = %s WHERE id = %s"
)
