from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from supportqa.integrations import zendesk
from supportqa.integrations.models import Connection


class Command(BaseCommand):
    help = (
        "Zendesk Support tickets with their comments, requester, assignee, group, channel, "
        "tags and satisfaction rating. `import FOLDER` reads an export folder (the JSON "
        "Zendesk answers: tickets*.json pages of the incremental export and "
        "comments/<ticket id>.json); `fetch` downloads what changed since the connection's "
        "last run from Zendesk (the only step that uses the network) and imports it; "
        '`status` lists the connections. docs/import-formats.md, "Zendesk".'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        read = actions.add_parser("import", help="import an export folder")
        read.add_argument("folder", type=Path)
        fetch = actions.add_parser("fetch", help="download what changed, then import it")
        fetch.add_argument("--url", required=True, help="e.g. https://acme.zendesk.com")
        fetch.add_argument("--email", required=True, help="the API user's e-mail address")
        fetch.add_argument(
            "--token-env", required=True,
            help="the environment variable holding the Zendesk API token (never the token)",
        )  # fmt: skip
        fetch.add_argument(
            "--since", type=int, default=0,
            help="first run only: Unix time to start from (default: everything)",
        )  # fmt: skip
        for sub in (read, fetch):
            sub.add_argument("--connection", default="zendesk", help="its name (a slug)")
            sub.add_argument(
                "--source",
                help="the conversations' source on a new connection (default: its name)",
            )
            sub.add_argument(
                "--create-missing", action="store_true",
                help="create agents and teams SupportQA does not know yet",
            )  # fmt: skip
        actions.add_parser("status", help="list the connections and where each stopped")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "status":
            for found in Connection.objects.order_by("name"):
                when = f"{found.last_run_at:%Y-%m-%d %H:%M}" if found.last_run_at else "never"
                self.stdout.write(f"{found.name} (source {found.source}): last run {when}; "
                                  f"{found.last_summary or '-'}")  # fmt: skip
            return
        connection, _ = Connection.objects.get_or_create(
            name=options["connection"],
            defaults={"source": options["source"] or options["connection"]},
        )
        if options["action"] == "fetch":
            token = os.environ.get(options["token_env"], "")
            if not token:
                raise CommandError(f"${options['token_env']} is empty: put the API token there")
            folder = zendesk.fetch(
                connection, base_url=options["url"], email=options["email"], token=token,
                into=zendesk.download_folder(connection), start_time=options["since"],
            )  # fmt: skip
            self.stdout.write(f"downloaded into {folder}")
        else:
            folder = options["folder"]
        try:
            result = zendesk.import_export(
                zendesk.read_folder(folder), connection=connection,
                create_missing=options["create_missing"],
            )  # fmt: skip
        except zendesk.ZendeskError as problem:
            raise CommandError(str(problem)) from None
        for line in zendesk.iter_problems(result):
            self.stderr.write(line)
        created, updated, unchanged, errors, _ = result.surveys
        for error in errors:
            self.stderr.write(f"rating of ticket {error.line}: {error.field}: {error.reason}")
        self.stdout.write(self.style.SUCCESS(
            f"{connection.name}: tickets {result.report.summary()}, "
            f"{len(result.skipped)} left out; ratings {created} created, {updated} updated, "
            f"{unchanged} unchanged, {len(errors)} rejected"
        ))  # fmt: skip
