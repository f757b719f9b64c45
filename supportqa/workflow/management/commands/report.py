from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from supportqa.accounts.models import Team
from supportqa.workflow import reporting
from supportqa.workflow.models import ManagementReport
from supportqa.workflow.pdf import render_pdf


class Command(BaseCommand):
    help = (
        "Management reports. `report run` (from cron) compiles each subscribed team's report "
        "of the last whole month (--period week: Monday to Sunday) and queues it as a PDF "
        "e-mail to the team's subscribers; a report already mailed is not mailed again. "
        "`report pdf CODE --out FILE` writes a report's PDF."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="compile and e-mail the last period's reports")
        run.add_argument("--period", choices=["month", "week"], default="month")
        run.add_argument(
            "--team", action="append", default=[],
            help="a team's name or code (repeatable); default: every team with subscribers",
        )  # fmt: skip
        run.add_argument("--today", help="YYYY-MM-DD: run as if on this day (default: today)")
        pdf = sub.add_parser("pdf", help="write a report's PDF")
        pdf.add_argument("code", help="the report's code (on its page)")
        pdf.add_argument("--out", required=True, help="the file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "pdf":
            report = ManagementReport.objects.filter(code=options["code"]).first()
            if report is None:
                raise CommandError(f"no management report {options['code']!r}")
            Path(options["out"]).write_bytes(render_pdf(report))
            self.stdout.write(f"wrote {options['out']}")
            return
        try:
            today = date.fromisoformat(options["today"]) if options["today"] else None
        except ValueError:
            raise CommandError(f"--today {options['today']!r} is not a YYYY-MM-DD date") from None
        teams = None
        if options["team"]:
            teams = []
            for name in options["team"]:
                team = (
                    Team.objects.filter(name=name).first() or Team.objects.filter(code=name).first()
                )
                if team is None:
                    raise CommandError(f"no team {name!r}")
                teams.append(team)
        done = reporting.run(options["period"], today or timezone.localdate(), teams)
        if not done:
            self.stdout.write("no team has subscribers: nothing to send (see --team)")
        for report, mailed in done:
            said = "already mailed" if mailed is None else f"queued for {mailed} subscriber(s)"
            self.stdout.write(f"{report} ({report.code}): {said}")
