from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from supportqa.api.webhooks import deliver_due
from supportqa.autoqa.actions import work
from supportqa.claims import worker_name
from supportqa.integrations.queue import run_queued_imports
from supportqa.notifications.mail import send_queued
from supportqa.processes import parent_alive
from supportqa.reports import rollups
from supportqa.social import feeds, trends


class Command(BaseCommand):
    help = (
        "The background worker: runs the imports queued from the web, then scores the "
        "conversations queued for AutoQA, then recomputes the dashboards' daily rollups of the "
        "days whose conversations, surveys or AutoQA results changed, then polls the social "
        "media feeds that are due (and raises their alerts), then sends the e-mails "
        "in the notification outbox, then posts the webhook deliveries that are due, and "
        "waits for more "
        "(every --poll seconds) unless --until-empty. Run one or more, on any machine that "
        "reaches the database: they claim work from it, and a dead worker's work is taken "
        "over (after SUPPORTQA_AUTOQA_STALE_SECONDS, default 30; at once on the same host)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--until-empty", action="store_true", help="stop when none is left")
        parser.add_argument("--poll", type=float, default=5.0, help="seconds between checks")
        parser.add_argument(
            "--parent", type=int, help="stop when this process (the one that started it) ends"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name, parent = worker_name(), options["parent"]

        def keep_going() -> bool:
            return parent is None or parent_alive(parent)

        while keep_going():
            imported = run_queued_imports(name)
            totals = work(name, keep_going=keep_going)
            days, posts, mails, hooks = self._chores(name)
            if imported or totals.scored or totals.failed or days or mails or posts or hooks:
                self.stdout.write(
                    f"{imported} imports, {totals.scored} scored, {totals.failed} failed, "
                    f"{days} rollup days recomputed, {posts} posts from feeds, "
                    f"{mails} mails handled, {hooks} webhook deliveries tried"
                )
            if options["until_empty"]:
                return
            time.sleep(options["poll"])  # idle: nothing queued; check again later

    @staticmethod
    def _chores(name: str) -> tuple[int, int, int, int]:
        """Everything after scoring: rollup days recomputed, feed posts (and their alerts),
        mails and webhook deliveries."""
        days = rollups.current(day_by_day=True)
        posts = feeds.poll_due()
        if posts:
            trends.check_alerts(timezone.localdate())
        return days, posts, send_queued(name), deliver_due(name)
