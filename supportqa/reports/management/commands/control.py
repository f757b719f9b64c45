from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from supportqa.reports.alerts import check


class Command(BaseCommand):
    help = (
        "Control-chart alerts: `control check` (weekly from cron, e.g. Monday morning) tells "
        "each team's leads of every real change on the team's charts (IQS, pass rate, CSAT, "
        "first response time, volume) whose run ends in the last full week, once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("check", help="raise the alerts of the last full week")

    def handle(self, *args: Any, **options: Any) -> None:
        alerts = check(timezone.localdate())
        self.stdout.write(f"{len(alerts)} new alert(s)")
        for alert in alerts:
            self.stdout.write(f"  {alert.team.name}, {alert.measure}: {alert.explanation}")
