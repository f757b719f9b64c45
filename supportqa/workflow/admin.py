"""Workflow templates, edited by admins on the administration site (audited there). The steps
are checked as a whole: a gate sends back to an earlier step of the same template, skips name
real channels, and the steps SupportQA runs itself keep their keys."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from supportqa.conversations.models import Channel
from supportqa.workflow.models import StepKind, Template, TemplateStep


class StepsFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        super().clean()
        steps = [
            f.cleaned_data
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE", False)
        ]
        positions = {step["key"]: step["position"] for step in steps if step.get("key")}
        problems = []
        for step in steps:
            name = step.get("name") or step.get("key")
            if step.get("kind") == StepKind.APPROVAL:
                back = step.get("reject_to") or ""
                if back not in positions or positions[back] >= step["position"]:
                    problems.append(f"“{name}”: a rejection returns to an earlier step's key")
            elif step.get("reject_to"):
                problems.append(f"“{name}”: only an approval gate sends back")
            unknown = set(step.get("skip_channels") or []) - set(Channel.values)
            if unknown:
                problems.append(f"“{name}”: no channel {', '.join(sorted(unknown))} "
                                f"(channels: {', '.join(Channel.values)})")  # fmt: skip
            choices = step.get("choices") or []
            if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
                problems.append(f'“{name}”: answers are a list of words, e.g. ["Yes", "No"]')
        if problems:
            raise forms.ValidationError(problems)


class StepInline(admin.TabularInline):  # type: ignore[type-arg]
    model = TemplateStep
    formset = StepsFormSet
    extra = 0
    fields = ("position", "key", "name", "kind", "role", "gate", "reject_to", "skip_channels",
              "skip_categories", "choices", "multiple", "help")  # fmt: skip

    def get_readonly_fields(self, request: Any, obj: Any = None) -> tuple[str, ...]:
        # Keys name what SupportQA does at a step and where gates send back: kept once set.
        return ("key",) if obj is not None and obj.requests.exists() else ()


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "is_default")
    inlines = [StepInline]

    def save_model(self, request: Any, obj: Template, form: Any, change: bool) -> None:
        """One default template: making this one the default unmakes the other."""
        super().save_model(request, obj, form, change)
        if obj.is_default:
            Template.objects.exclude(pk=obj.pk).filter(is_default=True).update(is_default=False)
