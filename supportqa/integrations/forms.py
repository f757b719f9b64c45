"""The import page's form."""

from __future__ import annotations

from typing import Any

from django import forms

from supportqa.integrations.kinds import KINDS


class ImportForm(forms.Form):
    kind = forms.ChoiceField(choices=list(KINDS.items()))
    file = forms.FileField()
    source = forms.CharField(
        required=False, max_length=64, help_text="For records that do not name their source."
    )
    strict = forms.BooleanField(
        required=False, help_text="Write nothing if any row is bad or has a warning."
    )
    redact = forms.BooleanField(
        required=False, help_text="Mask e-mails, phone and card numbers in messages."
    )
    create_missing = forms.BooleanField(
        required=False, help_text="Create unknown agents, teams and categories."
    )

    def options(self) -> dict[str, Any]:
        """The import's options as the queued run stores them."""
        data = self.cleaned_data
        return {
            "source": data["source"] or None,
            "strict": data["strict"],
            "redact": data["redact"],
            "create_missing": data["create_missing"],
        }
