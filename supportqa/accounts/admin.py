from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from supportqa.accounts.models import AgentSkill, Membership, Organisation, Shift, Team, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


class SkillInline(admin.TabularInline):
    model = AgentSkill
    extra = 0


class ShiftInline(admin.TabularInline):
    model = Shift
    extra = 0


@admin.register(User)
class SupportQAUserAdmin(UserAdmin):
    list_display = ("username", "display_name", "role", "email", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("username", "display_name", "email", "external_id")
    # SupportQA's role decides what a person may do: Django's groups and per-model
    # permissions are not used, so they are not offered.
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("SupportQA", {"fields": ("role", "display_name", "external_id", "time_zone")}),
        ("Contact", {"fields": ("first_name", "last_name", "email")}),
        ("Status", {"fields": ("is_active", "last_login", "date_joined")}),
    )
    readonly_fields = ("last_login", "date_joined")
    inlines = [MembershipInline, SkillInline, ShiftInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    search_fields = ("name",)
    inlines = [MembershipInline]


# SupportQA's roles replace Django's groups and per-model permissions.
admin.site.unregister(Group)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "blind_review")

    def has_add_permission(self, request: object) -> bool:
        return not Organisation.objects.exists()

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


# Two-step sign-in is managed on each person's account page (and reset with
# `supportqa twofactor reset`), not through django-otp's own admin pages.
for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
