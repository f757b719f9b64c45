from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from supportqa.integrations.importer import (
    ImportAborted,
    ImportFailed,
    ImportReport,
    import_file,
)
from supportqa.integrations.kinds import KINDS


class Command(BaseCommand):
    help = (
        "Import conversations (native JSONL, CSV with one row per message, the Twitter "
        "customer-care JSON), survey responses (CSV) or users and teams (CSV). Re-importing "
        "updates by (source, external id) and never duplicates; an interrupted import resumes "
        "when run again. Formats: docs/import-formats.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=list(KINDS))
        parser.add_argument("file", type=Path)
        parser.add_argument("--source", help="source name for records that do not carry one")
        parser.add_argument(
            "--strict",
            action="store_true",
            help="abort with nothing written if any row is bad or has a warning",
        )
        parser.add_argument(
            "--redact",
            action="store_true",
            help="mask e-mails, phone and card numbers in text on the way in",
        )
        parser.add_argument(
            "--create-missing",
            action="store_true",
            help="create unknown agents, teams and categories instead of rejecting the row",
        )
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            report = import_file(
                options["kind"],
                path,
                source=options["source"],
                strict=options["strict"],
                redact=options["redact"],
                create_missing=options["create_missing"],
                file_name=path.name,
                progress=not options["no_progress"],
            )
        except (ImportAborted, ImportFailed) as stopped:
            self._print_problems(stopped.report)
            raise CommandError(str(stopped)) from None
        self._print_problems(report)
        self.stdout.write(self.style.SUCCESS(f"{path.name}: {report.summary()}"))

    def _print_problems(self, report: ImportReport) -> None:
        for error in report.errors:
            self.stderr.write(str(error))
        hidden = report.error_count - len(report.errors)
        if hidden > 0:
            self.stderr.write(f"... and {hidden} more errors")
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        hidden = report.warning_count - len(report.warnings)
        if hidden > 0:
            self.stderr.write(f"... and {hidden} more warnings")
