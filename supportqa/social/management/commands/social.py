from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from supportqa.social import feeds, trends
from supportqa.social.ingest import FORMATS, ingest, parse


class Command(BaseCommand):
    help = (
        "Social media monitoring. `social import FILE [--format csv|jsonl|twitter] [--source "
        "NAME]` adds the posts of a file (format from the extension: .csv, .jsonl, .json is "
        "the Twitter customer-care JSON); `social poll` polls the feeds that are due (the "
        "worker does it too); `social check` raises an alert for each recent day above its "
        "control limit (run it daily from cron)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imported = sub.add_parser("import", help="add the posts of a file")
        imported.add_argument("file")
        imported.add_argument("--format", choices=FORMATS)
        imported.add_argument("--source", default="file", help="the posts' source (CSV/JSONL)")
        sub.add_parser("poll", help="poll the feeds that are due")
        sub.add_parser("check", help="raise the alerts of recent days")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "poll":
            self.stdout.write(f"{feeds.poll_due()} new post(s) from the feeds")
        elif options["action"] == "import":
            self._import(Path(options["file"]), options["format"], options["source"])
        alerts = trends.check_alerts(timezone.localdate())
        self.stdout.write(f"{len(alerts)} new alert(s)")

    def _import(self, path: Path, kind: str | None, source: str) -> None:
        kind = kind or {".csv": "csv", ".jsonl": "jsonl", ".json": "twitter"}.get(path.suffix)
        if kind is None:
            raise CommandError("give --format: the file's extension does not say it")
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from None
        result = ingest(parse(data, kind, source))
        self.stdout.write(
            f"{result.created} post(s) added, {result.unchanged} already there, "
            f"{len(result.errors)} refused"
        )
        for error in result.errors[:20]:
            self.stderr.write(f"  {error}")
