"""The request quality-control workflow (PRODUCT.md §3.1): a template of steps, the requests
that run through it, each step's record, and the tamper-evident archive of closed requests."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import models

from supportqa.accounts.models import Role
from supportqa.codes import new_code


class StepKind(models.TextChoices):
    AUTOMATIC = "automatic", "Automatic"
    ACTION = "action", "Action by a person"
    RECORD = "record", "Record"
    APPROVAL = "approval", "Approval gate"


class Template(models.Model):
    """A workflow: its steps in order. One template is the default for new requests."""

    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    name = models.CharField(max_length=150, unique=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TemplateStep(models.Model):
    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    key = models.SlugField(max_length=40)
    name = models.CharField(max_length=150)
    kind = models.CharField(max_length=10, choices=StepKind.choices)
    # Who acts: the request's representative ("agent"), or anyone in scope with this role or
    # above in the approvals order (lead < manager < admin). Empty for automatic steps.
    role = models.CharField(max_length=10, choices=Role.choices, blank=True)
    gate = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1 to 4")
    reject_to = models.SlugField(
        max_length=40, blank=True, help_text="Step a rejection returns to."
    )
    # Skipped for these channels or categories (by configuration, never silently).
    skip_channels = models.JSONField(default=list, blank=True)
    skip_categories = models.ManyToManyField("conversations.Category", blank=True)
    choices = models.JSONField(default=list, blank=True, help_text="Answers to pick from.")
    multiple = models.BooleanField(default=False, help_text="Several answers may be picked.")
    help = models.TextField(blank=True)

    class Meta:
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "key"], name="workflow_step_key"),
            models.UniqueConstraint(fields=["template", "position"], name="workflow_step_position"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class Request(models.Model):
    """A conversation running through a workflow."""

    class State(models.TextChoices):
        OPEN = "open", "In progress"
        CLOSED = "closed", "Closed"

    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    conversation = models.OneToOneField(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="workflow"
    )
    template = models.ForeignKey(Template, on_delete=models.PROTECT, related_name="requests")
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    source = models.CharField(max_length=64, blank=True, help_text="Where earlier steps were done.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Request {self.code}"


class StepRecord(models.Model):
    """One pass of a request through one step. A rejection sends the request back: the steps
    from the one named by the template are passed again, as new records (history kept)."""

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting"
        ACTIVE = "active", "To do"
        DONE = "done", "Done"
        SKIPPED = "skipped", "Skipped"
        REJECTED = "rejected", "Rejected"
        REDONE = "redone", "Sent back"

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="records")
    step = models.ForeignKey(TemplateStep, on_delete=models.PROTECT, related_name="records")
    attempt = models.PositiveIntegerField(default=1)
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)  # what the step captured
    shown = models.JSONField(default=dict, blank=True)  # what an approval gate was shown
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["request", "step__position", "attempt"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "step", "attempt"], name="workflow_one_record_per_attempt"
            )
        ]

    def __str__(self) -> str:
        return f"{self.step.name} ({self.get_state_display()})"


def canonical(body: Any) -> bytes:
    """The one byte form of an archived document that its hash is taken of."""
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


class ArchiveRecord(models.Model):
    """A closed request's complete record as a canonical JSON document, chained by hash to the
    record before it (`supportqa archive verify`). Under the retention policy the body is
    dropped and its hash kept, so the chain still verifies."""

    sequence = models.PositiveIntegerField(unique=True)
    request_code = models.CharField(max_length=16, db_index=True)
    conversation_code = models.CharField(max_length=16, db_index=True)
    body = models.JSONField(null=True, blank=True)
    text = models.TextField(blank=True, help_text="The body's words, for the search.")
    body_sha256 = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)
    archived_at = models.DateTimeField()
    expired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sequence"]

    def __str__(self) -> str:
        return f"Archive record {self.sequence} ({self.request_code})"

    def chained_hash(self) -> str:
        """The record's link in the chain: its place, its predecessor, its body's hash."""
        link = f"{self.sequence}|{self.prev_hash}|{self.body_sha256}|{self.request_code}"
        return hashlib.sha256(link.encode()).hexdigest()


class ManagementReport(models.Model):
    """A team's results for a period, reported to management (step 17) and approved or
    rejected at gate 4. Its figures are compiled when it is submitted and kept as they were
    shown (`content`); a draft shows them live."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted to management"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.PROTECT, related_name="management_reports"
    )
    first_day = models.DateField()
    last_day = models.DateField()
    # A period's report once submitted is kept as it was: requests reported later go into a
    # further part of the same period.
    part = models.PositiveSmallIntegerField(default=1)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    summary = models.TextField(blank=True, help_text="The lead's account of the period.")
    content = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_day", "team__name", "-part"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "first_day", "last_day", "part"],
                name="workflow_one_report_per_period_part",
            )
        ]

    def __str__(self) -> str:
        part = f" (part {self.part})" if self.part > 1 else ""
        return f"{self.team} {self.first_day:%d %b %Y} – {self.last_day:%d %b %Y}{part}"


class ReportSubscription(models.Model):
    """A person who receives a team's management reports by e-mail (`supportqa report run`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions"
    )
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "team"], name="workflow_one_subscription")
        ]


class ImprovementAction(models.Model):
    """An improvement decided at step 20: an area from the template's list, an owner, a due
    date, and the metric it should move. When it is done, the metric before and after is
    compared with an interval (`improvements.effect`)."""

    class Status(models.TextChoices):
        OPEN = "open", "To do"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    request = models.ForeignKey(
        Request, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    area = models.CharField(max_length=100)
    description = models.TextField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due = models.DateField()
    metric = models.CharField(max_length=32)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True, help_text="What was done.")

    class Meta:
        ordering = ["status", "due", "id"]

    def __str__(self) -> str:
        return f"{self.area}: {self.description[:60]}"
