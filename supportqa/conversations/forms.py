from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet

from supportqa.accounts.models import Team, User
from supportqa.conversations.models import Category, Channel, Conversation
from supportqa.reviews.models import Review
from supportqa.surveys.models import SATISFIED, SurveyResponse

CSAT_CHOICES = [
    ("", "Any"),
    ("answered", "Answered"),
    ("low", "Dissatisfied (bottom options)"),
    ("high", "Satisfied (top two)"),
    ("none", "No answer"),
]
REVIEWED_CHOICES = [("", "Any"), ("yes", "Reviewed"), ("no", "Not reviewed")]


class ConversationFilter(forms.Form):
    """Filters of the conversation list. Choices come from the user's own scope."""

    q = forms.CharField(required=False, max_length=200, label="Search subject or id")
    agent = forms.ChoiceField(required=False)
    team = forms.ChoiceField(required=False)
    channel = forms.ChoiceField(required=False, choices=[("", "Any"), *Channel.choices])
    category = forms.ChoiceField(required=False)
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    csat = forms.ChoiceField(required=False, choices=CSAT_CHOICES, label="CSAT")
    score_min = forms.IntegerField(required=False, min_value=0, max_value=100, label="Score ≥")
    score_max = forms.IntegerField(required=False, min_value=0, max_value=100, label="Score ≤")
    reviewed = forms.ChoiceField(required=False, choices=REVIEWED_CHOICES)

    def __init__(
        self, *args: Any, agents: QuerySet[User], teams: QuerySet[Team], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agent"].choices = [("", "Any"), *[(a.code, a.name) for a in agents]]
        self.fields["team"].choices = [("", "Any"), *[(t.code, t.name) for t in teams]]
        self.fields["category"].choices = [
            ("", "Any"),
            *[(c.code, c.name) for c in Category.objects.filter(is_active=True)],
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "must be on or after the start date")
        low, high = data.get("score_min"), data.get("score_max")
        if low is not None and high is not None and low > high:
            self.add_error("score_max", "must be at least the minimum score")
        return data

    def apply(
        self, conversations: QuerySet[Conversation], scored: QuerySet[Review]
    ) -> QuerySet[Conversation]:
        """Narrow the conversations; score and "reviewed" filters read `scored`, the reviews
        counting toward IQS that the person may see."""
        data = self.cleaned_data
        if data.get("q"):
            conversations = conversations.filter(
                Q(subject__icontains=data["q"]) | Q(external_id=data["q"]) | Q(code=data["q"])
            )
        for name, lookup in (
            ("agent", "agent__code"),
            ("team", "team__code"),
            ("channel", "channel"),
            ("category", "category__code"),
        ):
            if data.get(name):
                conversations = conversations.filter(**{lookup: data[name]})
        if data.get("since"):
            conversations = conversations.filter(created_at__date__gte=data["since"])
        if data.get("until"):
            conversations = conversations.filter(created_at__date__lte=data["until"])
        conversations = self._csat(conversations, data.get("csat"))
        scored = scored.filter(conversation=OuterRef("pk"))
        if data.get("reviewed") == "yes":
            conversations = conversations.filter(Exists(scored))
        elif data.get("reviewed") == "no":
            conversations = conversations.filter(~Exists(scored))
        if data.get("score_min") is not None:
            conversations = conversations.filter(
                Exists(scored.filter(final_score__gte=data["score_min"]))
            )
        if data.get("score_max") is not None:
            conversations = conversations.filter(
                Exists(scored.filter(final_score__lte=data["score_max"]))
            )
        return conversations

    @staticmethod
    def _csat(conversations: QuerySet[Conversation], mode: str | None) -> QuerySet[Conversation]:
        answers = SurveyResponse.objects.filter(conversation=OuterRef("pk"), csat__isnull=False)
        if mode == "answered":
            return conversations.filter(Exists(answers))
        if mode == "none":
            return conversations.filter(~Exists(answers))
        if mode == "high":
            return conversations.filter(Exists(answers.filter(SATISFIED)))
        if mode == "low":
            return conversations.filter(Exists(answers.exclude(SATISFIED)))
        return conversations
