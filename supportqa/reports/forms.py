"""The reports' filters. Each narrows the conversations in the person's scope to a team of
theirs and a channel (`ScopedForm`); a team outside their scope is not a choice."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet

from supportqa.accounts.models import Team
from supportqa.conversations.models import Channel, Conversation
from supportqa.reports.periods import DEFAULT_DAYS, PERIOD_CHOICES


class ScopedForm(forms.Form):
    team = forms.ChoiceField(required=False)
    channel = forms.ChoiceField(required=False, choices=[("", "Any"), *Channel.choices])

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "Any"), *[(t.code, t.name) for t in teams]]

    def values(self) -> dict[str, Any]:
        """The cleaned values, or every field's initial value while the form is unbound."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data
        if self.is_bound:
            return {}
        return {name: field.initial for name, field in self.fields.items()}

    def narrow(self, conversations: QuerySet[Conversation]) -> QuerySet[Conversation]:
        """The conversations of the chosen team and channel."""
        return conversations.filter(self.condition())

    def condition(self) -> Q:
        """The chosen team and channel as a condition on `team` and `channel`: the same on
        conversations and on the daily rollups."""
        values = self.values()
        condition = Q()
        if values.get("team"):
            condition &= Q(team__code=values["team"])
        if values.get("channel"):
            condition &= Q(channel=values["channel"])
        return condition


class CauseFilter(ScopedForm):
    """Root causes and contact reasons: the period, a team, a channel, a criterion (by key,
    across scorecard versions)."""

    field_order = ["days", "team", "channel", "criterion"]
    days = forms.ChoiceField(
        required=False, choices=list(PERIOD_CHOICES.items()), initial=DEFAULT_DAYS, label="Period"
    )
    criterion = forms.ChoiceField(required=False)

    def __init__(self, *args: Any, criteria: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["criterion"].choices = [
            ("", "Any"),
            *sorted(criteria.items(), key=lambda item: item[1]),
        ]


class StaffingForm(ScopedForm):
    """The planner's assumptions; the defaults are the industry's usual ones (80% of contacts
    answered within 20 seconds, occupancy at most 85%, 30% shrinkage)."""

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


class TopicForm(ScopedForm):
    """Which conversations to find topics in, and how many topics (√(n/2) when left empty)."""

    field_order = ["weeks", "topics", "team", "channel"]
    weeks = forms.IntegerField(initial=8, min_value=3, max_value=26, label="Full weeks")
    topics = forms.IntegerField(
        required=False, min_value=2, max_value=60, label="Topics (empty: automatic)"
    )
