from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from supportqa.server.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Replace the database's contents with a backup made by `supportqa backup` (stop the "
        "web server and workers first). Asks for confirmation unless --yes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the backup file")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["yes"]:
            answer = input("Replace everything in the database with the backup? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                raise CommandError("nothing restored")
        try:
            self.stdout.write(restore(Path(options["file"])))
        except BackupError as error:
            raise CommandError(str(error)) from None
