from __future__ import annotations

from django.conf import settings
from django.db import models

from supportqa.codes import new_code


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

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


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


class Conversation(models.Model):
    """One customer-service request with its transcript."""

    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    source = models.CharField(max_length=64)
    external_id = models.CharField(max_length=200)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.CHAT)
    subject = models.CharField(max_length=300, blank=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
    )
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
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
            models.Index(fields=["agent", "created_at"]),
            models.Index(fields=["team", "created_at"]),
            models.Index(fields=["created_at"]),
        ]

    def __str__(self) -> str:
        return self.subject or f"{self.source}:{self.external_id}"

    @property
    def first_response_seconds(self) -> float | None:
        if self.first_response_at is None:
            return None
        return (self.first_response_at - self.created_at).total_seconds()

    @property
    def resolution_seconds(self) -> float | None:
        if self.resolved_at is None:
            return None
        return (self.resolved_at - self.created_at).total_seconds()


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
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

    def __str__(self) -> str:
        return f"#{self.seq} {self.author_kind}"

    @property
    def is_public_agent(self) -> bool:
        return self.author_kind == AuthorKind.AGENT
