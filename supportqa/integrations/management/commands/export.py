from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from supportqa.bulk import in_one_transaction
from supportqa.conversations.models import Conversation
from supportqa.integrations.exporting import (
    conversation_csv,
    conversation_jsonl,
    review_csv,
    review_jsonl,
)
from supportqa.reviews.forms import day_start
from supportqa.reviews.models import Review

WRITERS = {
    ("conversations", "csv"): conversation_csv,
    ("conversations", "jsonl"): conversation_jsonl,
    ("reviews", "csv"): review_csv,
    ("reviews", "jsonl"): review_jsonl,
}


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
        writer = WRITERS[(options["what"], options["format"])]
        try:
            with options["out"].open("w", encoding="utf-8", newline="") as handle:
                lines = in_one_transaction(writer(rows))
                count = sum(1 for chunk in lines if handle.write(chunk) is not None)
        except OSError as exc:
            raise CommandError(f"{options['out']}: {exc.strerror}") from None
        self.stdout.write(f"wrote {count} lines to {options['out']}")
