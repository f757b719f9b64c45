from django.contrib import admin

from supportqa.autoqa.models import Job

# AutoQA settings are edited on their own page (/autoqa/settings/), which validates, audits and
# queues the rescoring; the queue is shown here read-only.


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("conversation", "status", "attempts", "claimed_by", "updated_at")
    list_filter = ("status",)
    readonly_fields = ("conversation", "done_hash", "claimed_by", "claimed_at", "attempts")
