from __future__ import annotations

from django.conf import settings
from django.db import models

from supportqa import configured
from supportqa.codes import new_code


def satisfied(path: str = "") -> models.Q:
    """CSAT in the top two options (4–5 of 5, 6–7 of 7): SQL form of kpis.csat_is_satisfied,
    for answers reached by `path` (e.g. "response__" from the surveys sent)."""
    return models.Q(**{f"{path}csat__gte": models.F(f"{path}csat_scale") - 1})


SATISFIED = satisfied()


class Language(models.TextChoices):
    """Languages the customer's survey page speaks (its fixed texts: surveys.language)."""

    EN = "en", "English"
    DE = "de", "Deutsch"
    FR = "fr", "Français"
    ES = "es", "Español"
    NL = "nl", "Nederlands"


class Template(models.Model):
    """What a survey asks, of which conversations, and what counts as a bad answer.

    `supportqa surveys send` surveys each resolved conversation that the first active template
    (by position) matches, once `delay_hours` have passed since its resolution."""

    class Delivery(models.TextChoices):
        EMAIL = "email", "E-mail the customer (a link for the help desk when no address)"
        LINK = "link", "A link the help desk sends"

    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    name = models.CharField(max_length=120)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(
        default=0, help_text="The first active template that matches a conversation is used."
    )
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.EN)
    csat_scale = models.PositiveSmallIntegerField(
        choices=[(0, "Not asked"), (5, "1–5"), (7, "1–7")], default=5, verbose_name="CSAT"
    )
    ask_nps = models.BooleanField(default=False, verbose_name="Ask NPS (0–10)")
    ask_ces = models.BooleanField(default=False, verbose_name="Ask CES (1–7)")
    csat_question = models.CharField(
        max_length=200, blank=True, help_text="Blank: the language's standard question."
    )
    low_question = models.CharField(
        max_length=200,
        blank=True,
        help_text="Asked after a low score. Blank: the language's “What went wrong?”.",
    )
    high_question = models.CharField(
        max_length=200,
        blank=True,
        help_text="Asked after a high score. Blank: the language's “What went well?”.",
    )
    ask_comment = models.BooleanField(default=True, verbose_name="Ask for a comment")
    channels = models.JSONField(
        default=list, blank=True, help_text="Channels surveyed (empty: every channel)."
    )
    categories = models.ManyToManyField(
        "conversations.Category",
        blank=True,
        related_name="+",
        help_text="Categories surveyed (none chosen: every category).",
    )
    delivery = models.CharField(max_length=8, choices=Delivery.choices, default=Delivery.EMAIL)
    delay_hours = models.PositiveIntegerField(
        default=2, help_text="Hours after resolution before the survey goes out."
    )
    max_age_days = models.PositiveIntegerField(
        default=7, help_text="Conversations resolved longer ago than this are not surveyed."
    )
    quiet_days = models.PositiveIntegerField(
        default=30, help_text="At most one survey per customer in this many days."
    )
    link_days = models.PositiveIntegerField(default=14, help_text="Days a survey link stays valid.")
    bad_csat = models.PositiveSmallIntegerField(
        default=2, help_text="A CSAT at or below this is a bad score."
    )
    bad_nps = models.PositiveSmallIntegerField(
        default=6, help_text="An NPS answer at or below this (a detractor) is a bad score."
    )
    bad_ces = models.PositiveSmallIntegerField(
        default=2, help_text="A CES at or below this (hard to get help) is a bad score."
    )
    follow_up_hours = models.PositiveIntegerField(
        default=24, help_text="Hours the agent's lead has to follow up a bad score."
    )

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(csat_scale__in=[0, 5, 7]), name="template_csat_scale"
            ),
            models.CheckConstraint(
                condition=~models.Q(csat_scale=0, ask_nps=False, ask_ces=False),
                name="template_asks_something",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def in_use() -> tuple[Template, ...]:
        """The active templates, in order."""
        return configured.kept(
            "survey-templates", lambda: tuple(Template.objects.filter(active=True))
        )


class SurveySent(models.Model):
    """A survey invitation; the denominator of the response rate and of non-response bias."""

    class Delivery(models.TextChoices):
        IMPORTED = "imported", "Sent by the help desk (imported)"
        EMAIL = "email", "E-mailed by SupportQA"
        LINK = "link", "Link for the help desk to send"

    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    template = models.ForeignKey(
        Template, null=True, blank=True, on_delete=models.PROTECT, related_name="sent"
    )
    delivery = models.CharField(max_length=8, choices=Delivery.choices, default=Delivery.IMPORTED)
    opened_at = models.DateTimeField(null=True, blank=True)  # first visit of the link
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="surveys_sent"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    # Copied from the conversation (kept in step by `surveys.actions.sync_owners`) so team and
    # agent dashboards filter surveys by an index instead of joining every conversation.
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation"], name="one_survey_per_conversation")
        ]
        indexes = [
            models.Index(fields=["team", "sent_at"], name="survey_sent_team"),
            models.Index(fields=["agent", "sent_at"], name="survey_sent_agent"),
        ]


class SurveyResponse(models.Model):
    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    source = models.CharField(max_length=64)
    external_id = models.CharField(max_length=200)
    survey = models.OneToOneField(
        SurveySent, null=True, blank=True, on_delete=models.SET_NULL, related_name="response"
    )
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="survey_responses"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_responses",
        db_index=False,
    )
    team = models.ForeignKey(  # copied from the conversation, like SurveySent.team
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    csat = models.PositiveSmallIntegerField(null=True, blank=True)
    csat_scale = models.PositiveSmallIntegerField(default=5)
    nps = models.PositiveSmallIntegerField(null=True, blank=True)
    ces = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    # The question asked after the score (what went wrong / well) and its answer.
    follow_up_question = models.CharField(max_length=200, blank=True)
    follow_up_answer = models.TextField(blank=True)
    answered_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)  # the second page was sent

    class Meta:
        ordering = ["-answered_at"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="survey_source_id"),
            models.CheckConstraint(
                condition=models.Q(csat_scale__in=[5, 7]), name="csat_scale_5_or_7"
            ),
            models.CheckConstraint(
                condition=models.Q(csat__isnull=True)
                | models.Q(csat__gte=1, csat__lte=models.F("csat_scale")),
                name="csat_in_scale",
            ),
            models.CheckConstraint(
                condition=models.Q(nps__isnull=True) | models.Q(nps__lte=10), name="nps_0_to_10"
            ),
            models.CheckConstraint(
                condition=models.Q(ces__isnull=True) | models.Q(ces__gte=1, ces__lte=7),
                name="ces_1_to_7",
            ),
        ]
        indexes = [
            models.Index(fields=["agent", "answered_at"]),
            models.Index(fields=["team", "answered_at"], name="survey_response_team"),
        ]


class FollowUp(models.Model):
    """A bad score's follow-up: the agent's lead contacts the customer by `due_at` and records
    what came of it."""

    class Outcome(models.TextChoices):
        RESOLVED = "resolved", "Reached the customer; the problem is solved"
        UNRESOLVED = "unresolved", "Reached the customer; the problem remains"
        NOT_REACHED = "not_reached", "Could not reach the customer"
        NOT_NEEDED = "not_needed", "No follow-up needed"

    code = models.CharField(max_length=16, unique=True, default=new_code, editable=False)
    response = models.OneToOneField(
        SurveyResponse, on_delete=models.CASCADE, related_name="follow_up"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reasons = models.CharField(max_length=200)  # which answers were bad, e.g. "CSAT 1 of 5"
    created_at = models.DateTimeField()
    due_at = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    note = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["closed_at", "due_at"]
        indexes = [models.Index(fields=["team", "closed_at", "due_at"], name="follow_up_open")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closed_at__isnull=True) | ~models.Q(outcome=""),
                name="follow_up_closed_has_outcome",
            )
        ]
