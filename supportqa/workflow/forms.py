from __future__ import annotations

from typing import Any

from django import forms

from supportqa.conversations.models import Category, Channel


class NewRequestForm(forms.Form):
    """A customer request entered in SupportQA (a phone call, a letter, a walk-in)."""

    subject = forms.CharField(max_length=300)
    text = forms.CharField(
        label="The customer's request, in their words", max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )  # fmt: skip
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.PHONE)
    team = forms.ModelChoiceField(queryset=None, empty_label="Choose…")  # type: ignore[arg-type]
    category = forms.ModelChoiceField(
        queryset=Category.objects.filter(is_active=True), required=False,
        empty_label="Not known yet (step 2 suggests one)",
    )  # fmt: skip
    customer_name = forms.CharField(max_length=200, required=False, label="Customer's name")
    customer_email = forms.EmailField(required=False, label="Customer's e-mail")

    def __init__(self, *args: Any, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]
        if teams.count() == 1:  # a lead of one team: theirs
            self.fields["team"].initial = teams.first()
        self.fields["team"].help_text = "Its leads and representatives take it from there."
