"""The reports' filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from supportqa.accounts.models import Team
from supportqa.conversations.models import Channel, Conversation
from supportqa.reports.periods import DEFAULT_DAYS, PERIOD_CHOICES


class CauseFilter(forms.Form):
    """Root causes and contact reasons: the period, a team of the person's, a channel, a
    criterion (by key, across scorecard versions)."""

    days = forms.ChoiceField(
        required=False, choices=list(PERIOD_CHOICES.items()), initial=DEFAULT_DAYS, label="Period"
    )
    team = forms.ChoiceField(required=False)
    channel = forms.ChoiceField(required=False, choices=[("", "Any"), *Channel.choices])
    criterion = forms.ChoiceField(required=False)

    def __init__(
        self, *args: Any, teams: QuerySet[Team], criteria: dict[str, str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "Any"), *[(t.code, t.name) for t in teams]]
        self.fields["criterion"].choices = [
            ("", "Any"),
            *sorted(criteria.items(), key=lambda item: item[1]),
        ]

    def narrowed(self) -> dict[str, str]:
        """The valid filters that are set (an invalid form narrows nothing)."""
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v and k != "days"}

    def narrow(self, conversations: QuerySet[Conversation]) -> QuerySet[Conversation]:
        """The conversations of the chosen team and channel."""
        narrowed = self.narrowed()
        if "team" in narrowed:
            conversations = conversations.filter(team__code=narrowed["team"])
        if "channel" in narrowed:
            conversations = conversations.filter(channel=narrowed["channel"])
        return conversations


class StaffingForm(forms.Form):
    """The planner's assumptions; the defaults are the industry's usual ones (80% of contacts
    answered within 20 seconds, occupancy at most 85%, 30% shrinkage)."""

    channel = forms.ChoiceField(required=False, choices=[("", "All channels"), *Channel.choices])
    team = forms.ChoiceField(required=False)
    handling_minutes = forms.FloatField(
        initial=6, min_value=0.1, max_value=600, label="Handling time (minutes)"
    )
    target_percent = forms.FloatField(
        initial=80, min_value=1, max_value=99.9, label="Service level (%)"
    )
    target_seconds = forms.FloatField(
        initial=20, min_value=1, max_value=86400, label="Answered within (seconds)"
    )
    max_occupancy = forms.FloatField(
        initial=85, min_value=10, max_value=100, label="Occupancy at most (%)"
    )
    shrinkage = forms.FloatField(initial=30, min_value=0, max_value=90, label="Shrinkage (%)")
    history_weeks = forms.IntegerField(
        initial=8, min_value=2, max_value=26, label="Weeks of history"
    )

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "All teams"), *[(t.code, t.name) for t in teams]]

    def values(self) -> dict[str, Any]:
        """The cleaned values, or the defaults where the form is unbound."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data
        return {name: field.initial or "" for name, field in self.fields.items()}
