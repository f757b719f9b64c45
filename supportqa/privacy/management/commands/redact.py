from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from supportqa.conversations.models import Conversation
from supportqa.privacy.retention import redact_conversations


class Command(BaseCommand):
    help = (
        "Redact personal data (e-mail addresses, phone numbers, card numbers, IBANs, national "
        "ids, IP addresses) from conversations already imported: `redact --conversation "
        "CODE …`, `redact --since YYYY-MM-DD` or `redact --all`. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--conversation", action="append", default=[], metavar="CODE")
        parser.add_argument("--since", help="conversations created on or after this date")
        parser.add_argument("--all", action="store_true", help="every conversation")

    def handle(self, *args: Any, **options: Any) -> None:
        chosen = [bool(options["conversation"]), bool(options["since"]), options["all"]]
        if sum(chosen) != 1:
            raise CommandError("choose one of --conversation, --since and --all")
        conversations = Conversation.objects.all()
        if options["conversation"]:
            conversations = conversations.filter(code__in=options["conversation"])
            missing = set(options["conversation"]) - set(
                conversations.values_list("code", flat=True)
            )
            if missing:
                raise CommandError(f"no conversation {', '.join(sorted(missing))}")
        elif options["since"]:
            try:
                since = date.fromisoformat(options["since"])
            except ValueError:
                raise CommandError("--since takes a date, YYYY-MM-DD") from None
            conversations = conversations.filter(created_at__date__gte=since)
        messages, subjects = redact_conversations(conversations)
        self.stdout.write(f"{messages} message(s) and {subjects} subject(s) redacted")
