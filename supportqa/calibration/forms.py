from __future__ import annotations

from typing import Any

from django import forms

from supportqa.accounts.models import User
from supportqa.accounts.permissions import holders, may_join_calibration
from supportqa.conversations.models import Conversation
from supportqa.scorecards.models import Scorecard


class SessionForm(forms.Form):
    title = forms.CharField(max_length=200)
    scorecard = forms.ModelChoiceField(
        queryset=Scorecard.objects.filter(is_active=True, kind=Scorecard.Kind.CONVERSATION),
        to_field_name="slug",
        empty_label=None,
    )
    conversations = forms.ModelMultipleChoiceField(
        queryset=Conversation.objects.none(),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
        help_text="The conversations everyone reviews (recent ones in your scope).",
    )
    participants = forms.ModelMultipleChoiceField(
        queryset=holders(may_join_calibration),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
    )
    baseline = forms.ModelChoiceField(
        queryset=holders(may_join_calibration),
        to_field_name="code",
        required=False,
        help_text="Optional: an expert among the participants whose review is the reference.",
    )
    agreed_final = forms.BooleanField(
        required=False,
        label="Use the agreed final as the baseline",
        help_text="After the reveal and the discussion, you (not a participant) enter the "
        "ratings the group agreed on; reviewers are compared with them.",
    )

    def __init__(self, *args: Any, conversations: Any, organiser: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organiser = organiser
        field = self.fields["conversations"]
        field.queryset = conversations
        field.label_from_instance = lambda c: (
            f"{c.created_at:%d %b} · {c.agent.name if c.agent else 'unassigned'} · "
            f"{c.subject or c.external_id}"
        )
        for name in ("participants", "baseline"):
            self.fields[name].label_from_instance = lambda u: f"{u.name} ({u.get_role_display()})"

    def baseline_user(self) -> User | None:
        if self.cleaned_data.get("agreed_final"):
            return self.organiser
        return self.cleaned_data.get("baseline")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        participants = data.get("participants") or []
        if len(participants) < 2:
            self.add_error("participants", "choose at least two participants")
        self._check_reference(data, participants)
        if (
            data.get("conversations")
            and not data.get("conversations").exclude(agent__isnull=True).exists()
        ):
            self.add_error("conversations", "choose conversations with an assigned agent")
        return data

    def _check_reference(self, data: dict[str, Any], participants: Any) -> None:
        """One reference at most: a baseline who takes part, or an agreed final entered by
        someone who did not review blind."""
        baseline = data.get("baseline")
        if baseline and data.get("agreed_final"):
            self.add_error("agreed_final", "choose an expert baseline or the agreed final")
        elif baseline and baseline not in participants:
            self.add_error("baseline", "the baseline reviewer must be one of the participants")
        if data.get("agreed_final") and self.organiser in participants:
            self.add_error(
                "agreed_final",
                "whoever enters the agreed final cannot also review "
                "blind: remove yourself from the participants",
            )
