from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from supportqa.claims import worker_name
from supportqa.notifications.actions import build_digests
from supportqa.notifications.mail import send_queued


class Command(BaseCommand):
    help = (
        "E-mail notifications. `digest` (run it daily from cron) gathers each person's unread "
        "notifications they chose to receive as a daily digest into one mail and sends it; "
        "`send` sends the mails waiting in the outbox (the background worker does this "
        "too). Both are safe to re-run and to run on several machines at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["digest", "send"])

    def handle(self, *args: Any, **options: Any) -> None:
        built = build_digests() if options["what"] == "digest" else 0
        sent = send_queued(worker_name())
        if options["what"] == "digest":
            self.stdout.write(f"{built} digests built")
        self.stdout.write(f"{sent} mails handled")
