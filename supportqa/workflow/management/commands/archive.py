from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from supportqa.workflow import archive
from supportqa.workflow.models import ArchiveRecord


class Command(BaseCommand):
    help = (
        "The tamper-evident archive of requests. `archive verify` checks the hash chain and "
        "names every record altered, removed or out of place (exit 1 if any); `archive "
        "export --request CODE` prints a request's archived documents as JSON; `archive "
        "expire --older-than-days N` applies the retention policy (bodies dropped, hashes "
        "kept: the chain still verifies)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="check the chain")
        export = sub.add_parser("export", help="a request's archived documents as JSON")
        export.add_argument("--request", required=True, help="the request's code")
        expire = sub.add_parser("expire", help="drop bodies older than the retention period")
        expire.add_argument("--older-than-days", type=int, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            problems = archive.verify()
            for problem in problems:
                self.stderr.write(problem)
            if problems:
                raise CommandError(f"{len(problems)} problem(s) in the archive")
            count = ArchiveRecord.objects.count()
            self.stdout.write(f"{count} records, the chain is intact")
        elif options["action"] == "export":
            entries = ArchiveRecord.objects.filter(request_code=options["request"])
            if not entries.exists():
                raise CommandError(f"no archived request {options['request']!r}")
            self.stdout.write(
                json.dumps(
                    [
                        {
                            "sequence": e.sequence,
                            "sha256": e.body_sha256,
                            "hash": e.hash,
                            "archived_at": e.archived_at.isoformat(),
                            "document": e.body,
                        }
                        for e in entries
                    ],
                    indent=2,
                    ensure_ascii=False,
                )  # fmt: skip
            )
        else:
            days = options["older_than_days"]
            if days < 0:
                raise CommandError("--older-than-days must be 0 or more")
            dropped = archive.expire(timezone.now() - timedelta(days=days))
            self.stdout.write(f"{dropped} archived bodies dropped; their hashes are kept")
