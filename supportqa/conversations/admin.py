from typing import Any

from django import forms
from django.contrib import admin

from supportqa.conversations.models import Category
from supportqa.core.intake import INFO_ITEMS


class CategoryForm(forms.ModelForm):  # type: ignore[type-arg]
    required_info = forms.MultipleChoiceField(
        choices=[(key, label) for key, (label, _) in INFO_ITEMS.items()],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Required information",
        help_text="The workflow's first step asks the customer for what a request lacks.",
    )

    class Meta:
        model = Category
        fields = ["name", "is_active", "position", "required_info"]

    def clean_required_info(self) -> Any:
        return list(self.cleaned_data.get("required_info") or [])


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = CategoryForm
    list_display = ("name", "is_active", "position")
    list_editable = ("is_active", "position")
