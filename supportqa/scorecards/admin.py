from django.contrib import admin

from supportqa.scorecards.models import Scorecard


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    """Name, activation and conditions only: criteria live in immutable versions."""

    list_display = ("name", "slug", "is_active", "priority")
    list_editable = ("is_active", "priority")
    filter_horizontal = ("categories",)
