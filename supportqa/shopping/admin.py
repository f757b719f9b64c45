"""Scenarios, written by admins on the administration site (audited there)."""

from __future__ import annotations

from django.contrib import admin

from supportqa.shopping.models import Scenario


@admin.register(Scenario)
class ScenarioAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "channel", "scorecard", "active")
    list_editable = ("active",)
    filter_horizontal = ("teams", "agents")
