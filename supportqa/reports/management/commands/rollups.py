from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from supportqa.reports import rollups
from supportqa.reports.models import DirtyDay


class Command(BaseCommand):
    help = (
        "The daily rollups the dashboards read. `rebuild` recomputes them all from the raw "
        "rows (after a restore, or to be sure); `check` compares every stored day with its "
        "raw rows and exits non-zero on a difference; `refresh` recomputes the days marked as "
        "changed (the worker does this continuously)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild", "check", "refresh"])

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        action = options["action"]
        if action == "rebuild":
            days = rollups.rebuild()
            self.stdout.write(f"rebuilt {days} days in {time.perf_counter() - started:.1f} s")
        elif action == "refresh":
            days = rollups.current(day_by_day=True)
            self.stdout.write(f"refreshed {days} days in {time.perf_counter() - started:.1f} s")
        else:
            problems = rollups.check()
            for line in problems[:50]:
                self.stdout.write(line)
            waiting = DirtyDay.objects.count()
            self.stdout.write(
                f"{len(problems) or 'no'} differences; {waiting} days marked for recomputing "
                f"(checked in {time.perf_counter() - started:.1f} s)"
            )
            if problems:
                raise CommandError(f"{len(problems)} rollup rows differ from the raw rows")
