from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from supportqa.server.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Write a consistent snapshot of the database to a new file while SupportQA runs: "
        "SQLite's online backup, or pg_dump's custom format on PostgreSQL. Restore it with "
        "`supportqa restore FILE`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, help="the backup file to create")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self.stdout.write(backup(Path(options["out"])))
        except BackupError as error:
            raise CommandError(str(error)) from None
