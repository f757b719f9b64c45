from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from supportqa.integrations.importer import (
    ImportAborted,
    ImportReport,
    import_conversations,
    import_surveys,
    import_users,
)

KINDS = ("native", "csv", "twitter", "surveys", "users")


class Command(BaseCommand):
    help = (
        "Import conversations (native JSONL, CSV with one row per message, the Twitter "
        "customer-care JSON), survey responses (CSV) or users and teams (CSV). Re-importing "
        "updates by (source, external id) and never duplicates; an interrupted import resumes "
        "when run again. Formats: docs/import-formats.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file", type=Path)
        parser.add_argument("--source", help="source name for records that do not carry one")
        parser.add_argument(
            "--strict", action="store_true", help="abort with nothing written if any row is bad"
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
            report = self._run(options["kind"], path, options)
        except ImportAborted as aborted:
            self._print_errors(aborted.report)
            raise CommandError(str(aborted)) from None
        self._print_errors(report)
        self.stdout.write(self.style.SUCCESS(f"{path.name}: {report.summary()}"))

    def _run(self, kind: str, path: Path, options: dict[str, Any]) -> ImportReport:
        if kind == "surveys":
            return import_surveys(
                path, source=options["source"], strict=options["strict"], file_name=path.name
            )
        if kind == "users":
            return import_users(path, strict=options["strict"], file_name=path.name)
        return import_conversations(
            path,
            kind=kind,
            source=options["source"],
            strict=options["strict"],
            redact=options["redact"],
            create_missing=options["create_missing"],
            file_name=path.name,
            progress=not options["no_progress"],
        )

    def _print_errors(self, report: ImportReport) -> None:
        for error in report.errors:
            self.stderr.write(str(error))
        hidden = report.error_count - len(report.errors)
        if hidden > 0:
            self.stderr.write(f"... and {hidden} more errors")
