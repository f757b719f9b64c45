from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from supportqa.assignments.actions import run_due_cycles


class Command(BaseCommand):
    help = (
        "Review assignments. `assignments run` samples and assigns every active cycle that "
        "is due (run it from cron or a scheduler, e.g. hourly); re-running is harmless."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["run"])

    def handle(self, *args: Any, **options: Any) -> None:
        created = run_due_cycles(now=timezone.now())
        self.stdout.write(f"{created} assignment batches created")
