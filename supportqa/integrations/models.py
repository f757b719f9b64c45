from __future__ import annotations

from django.conf import settings
from django.db import models

from supportqa.codes import new_code
from supportqa.integrations.kinds import KINDS


class ImportRun(models.Model):
    """One run of an importer. Committed progress lets an interrupted run resume exactly.

    A web import is queued: its file waits in the data folder (`upload`) until a worker claims
    the run (supportqa.claims), imports it and deletes the file."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued for the worker"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        ABORTED = "aborted", "Aborted (strict mode, nothing written)"
        FAILED = "failed", "Failed (import it again to resume)"

    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    kind = models.CharField(max_length=32)
    file_name = models.CharField(max_length=255, blank=True)
    fingerprint = models.CharField(
        max_length=64, db_index=True, help_text="sha256 of the file and the options."
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    batch_size = models.PositiveIntegerField()
    items_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="The first 1,000 errors.")
    warning_count = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(
        default=list, blank=True, help_text="The first 1,000 warnings (imported all the same)."
    )
    failure = models.TextField(blank=True, help_text="Why a failed run stopped.")
    # Queued web imports: the file (relative to the data folder), the form's options, the claim.
    upload = models.CharField(max_length=255, blank=True)
    options = models.JSONField(default=dict, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} import {self.code} ({self.status})"

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)


class Connection(models.Model):
    """A help desk SupportQA imports from again and again: where the last run ended (the
    vendor's cursor), so that the next one reads only what changed."""

    name = models.SlugField(max_length=64, unique=True)
    kind = models.CharField(max_length=16, default="zendesk")
    source = models.CharField(
        max_length=64, help_text="The conversations' source, e.g. zendesk-acme."
    )
    cursor = models.TextField(blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_summary = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return self.name
