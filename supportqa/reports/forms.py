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
