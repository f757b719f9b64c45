from __future__ import annotations

import hashlib
import math
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models

from supportqa import configured
from supportqa.codes import new_code
from supportqa.conversations import service_levels

# Conversations a mystery shopper recorded (supportqa.shopping): evaluated on their own, they
# stay out of the operational figures, AutoQA, review sampling and the conversation pages.
SHOP_SOURCE = "mystery_shop"


class Channel(models.TextChoices):
    CHAT = "chat", "Chat"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    SOCIAL = "social", "Social"
    OTHER = "other", "Other"


class Status(models.TextChoices):
    OPEN = "open", "Open"
    PENDING = "pending", "Pending"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


class Level(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class AuthorKind(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    AGENT = "agent", "Agent"
    BOT = "bot", "Bot"
    NOTE = "note", "Internal note"


class Category(models.Model):
    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    name = models.CharField(max_length=120, unique=True)
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    required_info = models.JSONField(
        default=list,
        blank=True,
        help_text="What a request of this category must say (core.intake.INFO_ITEMS keys): "
        "the workflow's first step asks the customer for what is missing.",
    )

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def names() -> dict[int, str]:
        """Every category's name by id (inactive ones too: old conversations keep theirs)."""
        names = configured.kept(
            "category-names", lambda: dict(Category.objects.values_list("pk", "name"))
        )
        return dict(names)

    @staticmethod
    def active() -> tuple[tuple[str, str], ...]:
        """(code, name) of the active categories (what may be suggested or chosen), in order."""
        return configured.kept(
            "active-categories",
            lambda: tuple(Category.objects.filter(is_active=True).values_list("code", "name")),
        )


class Customer(models.Model):
    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    source = models.CharField(max_length=64)
    external_id = models.CharField(max_length=200)
    name = models.CharField(max_length=200, blank=True)
    email = models.CharField(max_length=254, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="customer_source_id")
        ]

    def __str__(self) -> str:
        return self.name or self.external_id


class ErasedCustomer(models.Model):
    """A customer whose personal data was erased (supportqa.privacy): the hash of the help
    desk's (source, id) it had, so that importing their conversations again links them to the
    erased customer instead of creating one with their name and address."""

    key_sha256 = models.CharField(max_length=64, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")

    @staticmethod
    def key(source: str, external_id: str) -> str:
        return hashlib.sha256(f"{source}\x00{external_id}".encode()).hexdigest()


def erased_customers(keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(source, id) → the erased customer's pk, for the keys that were erased."""
    hashes = {ErasedCustomer.key(*key): key for key in keys}
    return {
        hashes[digest]: customer_id
        for digest, customer_id in ErasedCustomer.objects.filter(
            key_sha256__in=list(hashes)
        ).values_list("key_sha256", "customer_id")
    }


KPI_COLUMNS = [
    "first_response_seconds",
    "resolution_seconds",
    "reopen_count",
    "repeat_contact_seconds",
    "channel",
    "category",
    "source",  # mystery shops are left out of every KPI
]


# Samples of a period's conversations (topics) read a few of the slots an id falls in: an
# index on (slot, created_at) finds them without reading the period. The odd multiplier
# permutes the residues, so the ids of a few slots are spread out, never runs of consecutive
# ids (one import's); ids say nothing of a conversation's content, so a sample of slots is a
# random sample in effect.
SAMPLE_SLOTS = 1024


class SampleSlot(models.Func):
    """A conversation's sample slot, 0 to SAMPLE_SLOTS - 1, from its id: SampleSlot("id").
    Literal numbers, not parameters: SQLite uses an index on an expression only for the very
    same expression."""

    template = f"((%(expressions)s * 40503) & {SAMPLE_SLOTS - 1})"
    output_field = models.IntegerField()


class Conversation(models.Model):
    """One customer-service request with its transcript."""

    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    source = models.CharField(max_length=64)
    external_id = models.CharField(max_length=200)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.CHAT)
    subject = models.CharField(max_length=300, blank=True)
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
        db_index=False,  # served by the (customer, category, created_at) index
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
        db_index=False,  # served by the conversation_agent_kpis index
    )
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
        db_index=False,  # served by the conversation_team_kpis index
    )
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        # A category in use is deactivated, not deleted: deleting would change conversations
        # behind the write path that keeps FCR's repeat contacts and AutoQA up to date.
        on_delete=models.PROTECT,
        related_name="conversations",
    )
    urgency = models.CharField(max_length=8, choices=Level.choices, blank=True)
    complexity = models.CharField(max_length=8, choices=Level.choices, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    tags = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveIntegerField(default=0)
    message_count = models.PositiveIntegerField(default=0)
    # Derived from the timestamps on every write (see `derive_durations`): the rollups sum
    # them and reports.durations keeps each day's values for medians.
    first_response_seconds = models.IntegerField(null=True, blank=True, editable=False)
    resolution_seconds = models.IntegerField(null=True, blank=True, editable=False)
    repeat_contact_seconds = models.IntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="Seconds from resolution to the customer's next conversation in the same "
        "category (negative if it came before resolution); null if none. For FCR.",
    )
    content_hash = models.CharField(
        max_length=64,
        blank=True,
        help_text="Hash of the imported record; unchanged re-imports skip.",
    )
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="conversation_source_id")
        ]
        indexes = [
            # Dashboards read only these columns for a team's or agent's partial hours and
            # marked days: the indexes cover them, so those reads never touch the (wide) rows.
            models.Index(
                fields=["team", "created_at", *KPI_COLUMNS], name="conversation_team_kpis"
            ),
            models.Index(
                fields=["agent", "created_at", *KPI_COLUMNS], name="conversation_agent_kpis"
            ),
            # The whole organisation's period (topics' count and sample, partial days): every
            # column those reads filter on or return, so they never touch the table rows.
            models.Index(
                fields=["created_at", "source", "resolution_seconds", "reopen_count", "id"],
                name="conversation_created",
            ),
            models.Index(fields=["customer", "category", "created_at"]),
            models.Index(fields=["resolved_at"], name="conversation_resolved"),  # surveys sent
            # A sample of a period (topics), with the columns it reads: never the table rows.
            models.Index(
                SampleSlot("id"),
                *map(
                    models.F, ["created_at", "source", "resolution_seconds", "reopen_count", "id"]
                ),
                name="conversation_sample",
            ),
        ]

    def __str__(self) -> str:
        return self.subject or f"{self.source}:{self.external_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.first_response_seconds, self.resolution_seconds = derive_durations(
            self.created_at, self.first_response_at, self.resolved_at
        )
        super().save(*args, **kwargs)


def derive_durations(
    created_at: datetime, first_response_at: datetime | None, resolved_at: datetime | None
) -> tuple[int | None, int | None]:
    """(first response, resolution) in whole seconds; None where the event has not happened."""

    def seconds(later: datetime | None) -> int | None:
        return None if later is None else max(0, round((later - created_at).total_seconds()))

    return seconds(first_response_at), seconds(resolved_at)


def repeat_contact_gaps(
    contacts: list[tuple[datetime, datetime | None]],
) -> list[int | None]:
    """For one customer's conversations in one category, as (created, resolved) sorted by
    creation: seconds from each resolution to the next conversation, rounded up so that "a new
    conversation within N days" (FCR, PRODUCT.md §5) is exactly `gap <= N * 86400`."""
    gaps: list[int | None] = []
    for index, (created, resolved) in enumerate(contacts):
        later = next((c for c, _ in contacts[index + 1 :] if c > created), None)
        gap = None
        if resolved is not None and later is not None:
            gap = math.ceil((later - resolved).total_seconds())
        gaps.append(gap)
    return gaps


def first_reply_against_target() -> tuple[models.Q, models.Q]:
    """(within, late): conversations whose first reply came within, or after, their channel's
    first-reply target (the service levels in force). Neither matches a conversation without
    a reply or a channel without a target."""
    rules = service_levels.current()
    within, late = models.Q(pk__in=[]), models.Q(pk__in=[])
    for channel in Channel.values:
        target, _ = rules.reply_targets(channel)
        if target:
            within |= models.Q(channel=channel, first_response_seconds__lte=target)
            late |= models.Q(channel=channel, first_response_seconds__gt=target)
    return within, late


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.CASCADE,
        related_name="messages",
        db_index=False,  # the (conversation, seq) unique index serves every lookup
    )
    seq = models.PositiveIntegerField(help_text="Position in the transcript, from 0.")
    author_kind = models.CharField(max_length=16, choices=AuthorKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    author_name = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField()
    text = models.TextField()
    attachments = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_position")
        ]
        indexes = [
            # Agents' messages by sending time: the staffing plan's activity rollup recomputes
            # and reads partial days by it (reports.rollups.ACTIVITY). Partial: customers' and
            # bots' messages, half of them, cost an import nothing here.
            models.Index(
                fields=["sent_at"],
                condition=models.Q(author_kind="agent"),
                name="message_agent_sent",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.author_kind}"

    @property
    def is_public_agent(self) -> bool:
        return self.author_kind == AuthorKind.AGENT
