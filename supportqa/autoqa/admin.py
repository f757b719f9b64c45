from django.contrib import admin

from supportqa.autoqa.models import AutoQASettings, Job


@admin.register(AutoQASettings)
class AutoQASettingsAdmin(admin.ModelAdmin):
    """Admins edit phrase lists, targets and rules as JSON; `clean` validates every key."""

    list_display = ("__str__", "updated_at")


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("conversation", "status", "attempts", "claimed_by", "updated_at")
    list_filter = ("status",)
    readonly_fields = ("conversation", "done_hash", "claimed_by", "claimed_at", "attempts")
