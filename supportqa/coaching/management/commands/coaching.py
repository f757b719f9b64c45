from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from supportqa.coaching.actions import remind


class Command(BaseCommand):
    help = (
        "Coaching. `coaching remind` (from cron, e.g. hourly) tells agent and coach of "
        "sessions in the next 24 hours and of goals due in the next 3 days (each once), and "
        "recognises goals met."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("remind", help="send the reminders that are due")

    def handle(self, *args: Any, **options: Any) -> None:
        sessions, due, met = remind()
        self.stdout.write(
            f"{sessions} session reminder(s), {due} goal(s) due soon, {met} goal(s) met"
        )
