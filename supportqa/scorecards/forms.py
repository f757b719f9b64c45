from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import slugify

from supportqa.accounts.models import Team
from supportqa.conversations.models import Category, Channel
from supportqa.scorecards.models import Scorecard


class ScorecardForm(forms.ModelForm):
    """What a scorecard is and when it applies; not versioned (the rubric is)."""

    channels = forms.MultipleChoiceField(
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every channel.",
    )
    categories = forms.ModelMultipleChoiceField(
        queryset=Category.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every category.",
    )
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The team a conversation counts for. None ticked: every team.",
    )

    class Meta:
        model = Scorecard
        fields = ["name", "slug", "kind", "description", "is_active", "priority"]
        labels = {"is_active": "In use (offered to reviewers and AutoQA)"}
        help_texts = {
            "slug": "Its name in addresses and files (empty: made from the name); fixed once "
            "created.",
            "priority": "When several scorecards fit a conversation, the highest is used.",
            "kind": "A mystery shop evaluation form is what shoppers fill in for a scenario; "
            "it is never offered for conversations.",
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["slug"].disabled = True
            self.initial["channels"] = list(self.instance.channels)
            self.initial["categories"] = list(self.instance.categories.all())
            self.initial["teams"] = list(self.instance.teams.all())
        self.fields["slug"].required = False  # a new scorecard's is made from its name

    def clean_slug(self) -> str:
        slug = str(self.cleaned_data.get("slug") or "")
        if self.instance.pk:
            return str(self.instance.slug)
        slug = slug or slugify(str(self.data.get("name", "")))[:64]
        if not slug:
            raise forms.ValidationError("give the scorecard a name or a slug")
        if Scorecard.objects.filter(slug=slug).exists():
            raise forms.ValidationError(f"“{slug}” is another scorecard's; choose another")
        return slug
