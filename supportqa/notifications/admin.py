from django.contrib import admin

from supportqa.notifications.models import Mail


@admin.register(Mail)
class MailAdmin(admin.ModelAdmin):
    """The outbox, for an administrator checking why a mail did not arrive."""

    list_display = ["subject", "user", "status", "attempts", "created_at", "sent_at", "error"]
    list_filter = ["status"]
    search_fields = ["subject", "user__username"]
    readonly_fields = [f.name for f in Mail._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False
