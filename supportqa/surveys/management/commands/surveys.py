from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from supportqa.surveys.actions import link_lines, send_due, waiting_links
from supportqa.surveys.models import SurveySent


class Command(BaseCommand):
    help = (
        "Surveys SupportQA sends. `surveys send` (from cron, e.g. every 15 minutes) surveys "
        "each resolved conversation an active template matches: e-mailed to the customer, or "
        "a link for the help desk. `surveys links [--out FILE]` writes the links waiting for "
        "the help desk to send as CSV (conversation source and id, customer id, link, expiry)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("send", help="send the surveys that are due")
        links = sub.add_parser("links", help="CSV of the links waiting for the help desk")
        links.add_argument("--out", help="file to write (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "send":
            sent = send_due()
            self.stdout.write(
                f"{sent.total} survey(s) sent: {sent.emailed} e-mailed, {sent.links} link(s) "
                "for the help desk"
            )
            return
        lines = link_lines(waiting_links(SurveySent.objects.all()))
        if options["out"]:
            with open(options["out"], "w", encoding="utf-8", newline="") as out:
                count = sum(1 for line in lines if out.write(line)) - 1
            self.stdout.write(f"{count} link(s) written to {options['out']}")
        else:
            for line in lines:
                self.stdout.write(line, ending="")
