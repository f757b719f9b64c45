"""Survey templates, edited by admins on the administration site (audited there)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from supportqa.conversations.models import Channel
from supportqa.surveys.models import Template


class TemplateForm(forms.ModelForm):  # type: ignore[type-arg]
    channels = forms.MultipleChoiceField(
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Channels surveyed (none ticked: every channel).",
    )

    class Meta:
        model = Template
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("csat_scale") and not data.get("ask_nps") and not data.get("ask_ces"):
            raise forms.ValidationError("A survey asks at least one of CSAT, NPS and CES.")
        if data.get("csat_scale") and data.get("bad_csat", 0) >= data["csat_scale"]:
            raise forms.ValidationError(
                f"A bad CSAT must be below the scale's top ({data['csat_scale']})."
            )
        if data.get("link_days") == 0:
            raise forms.ValidationError("A survey link stays valid at least one day.")
        return data


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = TemplateForm
    list_display = ("name", "active", "position", "language", "csat_scale", "ask_nps", "ask_ces")
    list_editable = ("active", "position")
    filter_horizontal = ("categories",)
    fieldsets = (
        (None, {"fields": ("name", "active", "position", "language", "delivery")}),
        (
            "Questions",
            {
                "fields": (
                    "csat_scale",
                    "csat_question",
                    "ask_nps",
                    "ask_ces",
                    "low_question",
                    "high_question",
                    "ask_comment",
                )
            },  # fmt: skip
        ),
        (
            "Which conversations, when",
            {
                "fields": (
                    "channels",
                    "categories",
                    "delay_hours",
                    "max_age_days",
                    "quiet_days",
                    "link_days",
                )
            },  # fmt: skip
        ),
        ("Bad scores", {"fields": ("bad_csat", "bad_nps", "bad_ces", "follow_up_hours")}),
    )
