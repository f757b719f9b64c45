"""Social media monitoring (PRODUCT.md §3.9): posts that mention the brand, from files, feeds
and a webhook, each read for sentiment and complaints, linked to a customer or conversation,
and triaged; the feeds polled; the alerts raised when a day leaves its control limits."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from supportqa.codes import new_code


class Post(models.Model):
    class Triage(models.TextChoices):
        NEW = "new", "To triage"
        REPLIED = "replied", "Replied"
        NO_ACTION = "no_action", "No action needed"

    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    source = models.CharField(max_length=64)  # "twitter", "file", "feed:<code>", "webhook"
    external_id = models.CharField(max_length=200)
    brand = models.CharField(max_length=120, blank=True)  # the account or name mentioned
    author = models.CharField(max_length=200, blank=True)  # handle or name, as published
    text = models.TextField()
    url = models.URLField(max_length=1000, blank=True)
    posted_at = models.DateTimeField()
    ingested_at = models.DateTimeField(auto_now_add=True)
    # Read once, at ingestion (core.social.read).
    sentiment = models.FloatField()
    negative = models.BooleanField()
    complaint = models.BooleanField()
    category = models.ForeignKey(
        "conversations.Category", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    customer = models.ForeignKey(
        "conversations.Customer", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="posts",
    )  # fmt: skip
    conversation = models.ForeignKey(
        "conversations.Conversation", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="posts",
    )  # fmt: skip
    linked_by = models.CharField(max_length=200, blank=True)  # "author matched", or who did
    triage = models.CharField(max_length=16, choices=Triage.choices, default=Triage.NEW)
    reply = models.TextField(blank=True)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    triaged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-posted_at"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="post_source_id")
        ]
        indexes = [
            models.Index(fields=["posted_at"]),
            models.Index(fields=["triage", "posted_at"], name="post_triage"),
        ]

    def __str__(self) -> str:
        return f"{self.author}: {self.text[:60]}"


class Feed(models.Model):
    """An RSS or Atom feed of brand mentions, polled by the worker every `every_minutes`."""

    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    name = models.CharField(max_length=120)
    url = models.URLField(max_length=1000)
    brand = models.CharField(max_length=120, blank=True)
    active = models.BooleanField(default=True)
    every_minutes = models.PositiveIntegerField(default=15)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_new = models.PositiveIntegerField(default=0)  # posts the last poll added
    last_error = models.CharField(max_length=500, blank=True)
    etag = models.CharField(max_length=200, blank=True)
    modified = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return self.name


class Alert(models.Model):
    """A day a social measure went beyond its control limits (told once)."""

    day = models.DateField()
    measure = models.CharField(max_length=32)
    value = models.FloatField()
    upper = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["day", "measure"], name="one_alert")]
