"""Feeds of brand mentions, added by admins on the administration site (audited there)."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from supportqa.social.models import Feed


class FeedForm(forms.ModelForm):  # type: ignore[type-arg]
    url = forms.URLField(assume_scheme="https", max_length=1000, help_text="The feed's address.")

    class Meta:
        model = Feed
        fields = "__all__"


@admin.register(Feed)
class FeedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = FeedForm
    list_display = ("name", "url", "active", "every_minutes", "last_polled_at", "last_error")
    fields = ("name", "url", "brand", "active", "every_minutes")
