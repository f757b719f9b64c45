"""What people are told: in-app notifications, their e-mail outbox and each person's choices.

Every event reaches people through `actions.notify`; its kind decides the default delivery
(`DEFAULT_DELIVERY`), which each person can change per kind on their settings page.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from supportqa.codes import new_code


class Kind(models.TextChoices):
    REVIEW_RECEIVED = "review_received", "A review of my work"
    REVIEW_EDITED = "review_edited", "A change to a review of my work"
    REVIEW_ACKNOWLEDGED = "review_acknowledged", "An agent acknowledged my review"
    DISPUTE_RAISED = "dispute_raised", "A dispute for me to decide"
    DISPUTE_DECIDED = "dispute_decided", "A decision on a dispute"
    CALIBRATION_INVITED = "calibration_invited", "An invitation to calibrate"
    CALIBRATION_REVEALED = "calibration_revealed", "Calibration results revealed"
    ASSIGNMENT_RECEIVED = "assignment_received", "Conversations assigned to me"
    WORKFLOW_STEP = "workflow_step", "A request step for me to do"
    WORKFLOW_SENT_BACK = "workflow_sent_back", "A request sent back to me"
    WORKFLOW_FEEDBACK = "workflow_feedback", "Feedback on my response to a request"
    COACHING_SESSION = "coaching_session", "A coaching session: planned, changed, signed"
    COACHING_GOAL = "coaching_goal", "A coaching goal met"
    SURVEY_BAD_SCORE = "survey_bad_score", "A customer's bad survey score to follow up"
    SHOP_ASSIGNED = "shop_assigned", "A mystery shop assigned to me"
    SOCIAL_ALERT = "social_alert", "Social media beyond its control limits"
    CONTROL_SIGNAL = "control_signal", "A real change in my team's figures"


# Who can receive which kinds: the reviewed (agents, peers) and the reviewers.
REVIEWED_KINDS = (
    Kind.REVIEW_RECEIVED,
    Kind.REVIEW_EDITED,
    Kind.DISPUTE_DECIDED,
    Kind.WORKFLOW_STEP,
    Kind.WORKFLOW_SENT_BACK,
    Kind.WORKFLOW_FEEDBACK,
    Kind.COACHING_SESSION,
    Kind.COACHING_GOAL,
)
REVIEWER_KINDS = (
    Kind.REVIEW_EDITED,
    Kind.REVIEW_ACKNOWLEDGED,
    Kind.DISPUTE_RAISED,
    Kind.DISPUTE_DECIDED,
    Kind.CALIBRATION_INVITED,
    Kind.CALIBRATION_REVEALED,
    Kind.ASSIGNMENT_RECEIVED,
    Kind.WORKFLOW_STEP,
    Kind.WORKFLOW_SENT_BACK,
    Kind.COACHING_SESSION,
    Kind.COACHING_GOAL,
    Kind.SURVEY_BAD_SCORE,
    Kind.CONTROL_SIGNAL,
)
SHOPPER_KINDS = (Kind.SHOP_ASSIGNED,)
ORG_WIDE_KINDS = (Kind.SOCIAL_ALERT,)  # QA, managers and admins


class Delivery(models.TextChoices):
    IMMEDIATELY = "immediately", "E-mail at once"
    DIGEST = "digest", "Daily digest"
    OFF = "off", "In the app only"


# What needs someone's action soon is mailed at once; news arrives in the daily digest.
DEFAULT_DELIVERY: dict[str, str] = {
    Kind.REVIEW_RECEIVED: Delivery.DIGEST,
    Kind.REVIEW_EDITED: Delivery.IMMEDIATELY,
    Kind.REVIEW_ACKNOWLEDGED: Delivery.DIGEST,
    Kind.DISPUTE_RAISED: Delivery.IMMEDIATELY,
    Kind.DISPUTE_DECIDED: Delivery.IMMEDIATELY,
    Kind.CALIBRATION_INVITED: Delivery.IMMEDIATELY,
    Kind.CALIBRATION_REVEALED: Delivery.DIGEST,
    Kind.ASSIGNMENT_RECEIVED: Delivery.IMMEDIATELY,
    Kind.WORKFLOW_STEP: Delivery.DIGEST,
    Kind.WORKFLOW_SENT_BACK: Delivery.IMMEDIATELY,
    Kind.WORKFLOW_FEEDBACK: Delivery.IMMEDIATELY,
    Kind.COACHING_SESSION: Delivery.IMMEDIATELY,
    Kind.COACHING_GOAL: Delivery.IMMEDIATELY,
    Kind.SURVEY_BAD_SCORE: Delivery.IMMEDIATELY,
    Kind.SHOP_ASSIGNED: Delivery.IMMEDIATELY,
    Kind.SOCIAL_ALERT: Delivery.IMMEDIATELY,
    Kind.CONTROL_SIGNAL: Delivery.DIGEST,
}


class Mail(models.Model):
    """One e-mail waiting in the outbox or sent: a notification at once, or a daily digest.
    Workers claim queued mails (supportqa.claims) and retry failures with back-off."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Not sent"

    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    # A person's mail, or (no user) a customer's survey invitation sent to `to_address`.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+"
    )
    to_address = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    attachment_name = models.CharField(max_length=200, blank=True)
    attachment = models.BinaryField(null=True, blank=True)  # a PDF report a subscriber gets
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_by = models.CharField(max_length=200, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return self.subject


class Notification(models.Model):
    """An event told to one person: shown in their inbox until opened, mailed per their
    choice (captured when it was made, so a later change does not mail old news)."""

    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    text = models.CharField(max_length=300)
    mail_text = models.CharField(
        max_length=300,
        blank=True,
        help_text="What a mail says instead (without words customers wrote); empty: the text.",
    )
    link = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    delivery = models.CharField(max_length=16, choices=Delivery.choices)
    mail = models.ForeignKey(
        Mail, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"]),
            models.Index(fields=["user", "created_at"]),
            models.Index(
                fields=["user"],
                condition=models.Q(delivery="digest", mail__isnull=True, read_at__isnull=True),
                name="digest_pending",
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def mailed_text(self) -> str:
        return self.mail_text or self.text


class Preference(models.Model):
    """A person's delivery for one kind of notification (absent: the kind's default)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_choices"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    delivery = models.CharField(max_length=16, choices=Delivery.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_choice_per_kind")]
