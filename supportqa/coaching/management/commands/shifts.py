from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from supportqa.coaching.shifts import import_shifts


class Command(BaseCommand):
    help = (
        "Import agents' shifts from a CSV file with the columns username, starts_at, ends_at "
        "(ISO 8601; without a zone, the installation's). Every row is checked first and each "
        "problem named by line, field and reason; nothing is written unless all are right. "
        "Importing the same file again changes nothing. Assignment takes agents on shift "
        "first; coaching sessions are planned outside shifts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV file")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no file {path}")
        written, errors = import_shifts(path.read_bytes())
        for error in errors:
            self.stderr.write(str(error))
        if errors:
            raise CommandError(f"{len(errors)} problem(s): nothing imported")
        self.stdout.write(f"{written} shift(s) imported")
