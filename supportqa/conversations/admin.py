from django.contrib import admin

from supportqa.conversations.models import Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active", "position")
    list_editable = ("is_active", "position")
