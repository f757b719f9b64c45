from __future__ import annotations

from django import forms

from supportqa.conversations.categorize import DEFAULT_CONFIDENCE


class CategorizeForm(forms.Form):
    action = forms.ChoiceField(choices=[("train", "train"), ("apply", "apply")])
    embeddings = forms.BooleanField(
        required=False,
        label="Add sentence embeddings (MiniLM)",
        help_text="More accurate, slower to train; needs the optional embeddings extra.",
    )
    minimum_confidence = forms.FloatField(
        min_value=0.0,
        max_value=1.0,
        initial=DEFAULT_CONFIDENCE,
        required=False,
        help_text="Categorize only where the model is at least this sure (0–1).",
    )
