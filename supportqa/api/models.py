"""API tokens and outbound webhooks.

A token is shown once, when made: only its SHA-256 is kept (a token is 32 random bytes, so a
plain hash is as strong as a slow one and lets every request be checked in one lookup).
A webhook's secret, by contrast, must be kept readable: SupportQA signs each delivery with it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from supportqa.codes import new_code


class ApiToken(models.Model):
    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What it is for, e.g. “Zendesk sync”.")
    prefix = models.CharField(max_length=12, unique=True)  # shown in lists and the audit log
    digest = models.CharField(max_length=64, unique=True)  # SHA-256 of the whole token
    scopes = models.JSONField(default=list)  # "<resource>:read" / "<resource>:write"
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_from = models.CharField(max_length=45, blank=True)
    uses = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class Webhook(models.Model):
    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=64)
    events = models.JSONField(default=list)  # names from api.webhooks.EVENTS
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    """One event for one webhook: queued in the transaction of the change it tells of,
    posted by a worker, retried with back-off until delivered or out of attempts."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        RUNNING = "running", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]
