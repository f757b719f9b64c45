from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from supportqa.accounts.models import User
from supportqa.audit.actions import record_event


class Command(BaseCommand):
    help = (
        "Two-step sign-in: `status` lists who has it on; `reset USERNAME` removes a person's "
        "authenticator and recovery codes (a lost phone): they sign in with their password "
        "alone, or set it up again if their role requires it. Audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("status")
        reset = actions.add_parser("reset")
        reset.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "status":
            on = TOTPDevice.objects.filter(confirmed=True).select_related("user")
            for device in on.order_by("user__username"):
                self.stdout.write(f"{device.user.username}: on since {device.created_at:%Y-%m-%d}")
            self.stdout.write(f"{on.count()} with two-step sign-in")
            return
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        with transaction.atomic():
            removed = TOTPDevice.objects.filter(user=user).delete()[0]
            StaticDevice.objects.filter(user=user).delete()
            record_event(actor=None, action="account.second_factor_reset", obj=user)
        self.stdout.write(f"{user.username}: two-step sign-in reset ({removed} authenticator)")
