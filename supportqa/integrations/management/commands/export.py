from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from supportqa.conversations.models import Conversation
from supportqa.integrations.exporting import export_lines
from supportqa.reviews.forms import day_start
from supportqa.reviews.models import Review


class Command(BaseCommand):
    help = (
        "Export conversations (the native JSONL import format, or CSV) or reviews (CSV with "
        "one row per rating, or JSONL) to a file, optionally from a date on."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["conversations", "reviews"])
        parser.add_argument("--format", choices=["csv", "jsonl"], default="jsonl")
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument(
            "--since",
            type=date.fromisoformat,
            help="only conversations created on or after this date (YYYY-MM-DD)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        conversations = Conversation.objects.all()
        if options["since"]:
            conversations = conversations.filter(created_at__gte=day_start(options["since"]))
        rows: Any = conversations
        if options["what"] == "reviews":
            rows = Review.objects.filter(conversation__in=conversations)
        try:
            with options["out"].open("w", encoding="utf-8", newline="") as handle:
                lines = export_lines(options["what"], options["format"], rows)
                count = sum(1 for chunk in lines if handle.write(chunk) is not None)
        except OSError as exc:
            raise CommandError(f"{options['out']}: {exc.strerror}") from None
        self.stdout.write(f"wrote {count} lines to {options['out']}")
