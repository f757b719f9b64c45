from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from supportqa.autoqa.actions import work
from supportqa.autoqa.learning import train_models
from supportqa.claims import worker_name
from supportqa.demo.generate import DEMO_PASSWORD, build


class Command(BaseCommand):
    help = (
        "Load the demo organisation: 3 teams, 15 agents with distinct habits, 90 days of "
        "conversations, surveys and human reviews. Deterministic for a given --seed; "
        "running it again updates the same records instead of duplicating them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--conversations", type=int, default=2400)
        parser.add_argument(
            "--reviews",
            type=int,
            default=360,
            help="conversations to review (some get two reviewers)",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        stats = build(
            seed=options["seed"],
            conversations=options["conversations"],
            reviews=options["reviews"],
            progress=not options["no_progress"],
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {stats.conversations} conversations, {stats.messages} messages, "
                f"{stats.surveys} survey answers, {stats.reviews} new reviews."
            )
        )
        learned = [o for o in train_models("chat-quality") if o.active]
        self.stdout.write(
            f"AutoQA learned {len(learned)} criterion models from the human reviews "
            f"({', '.join(o.criterion for o in learned) or 'none beat the rules'})."
        )
        autoqa = work(worker_name())
        self.stdout.write(
            f"AutoQA scored {autoqa.scored} conversations ({autoqa.failed} failed); "
            "every conversation page shows its evidence."
        )
        self.stdout.write(f"Log in with any of these users; the password is {DEMO_PASSWORD!r}:")
        for username, role in stats.logins:
            self.stdout.write(f"  {username:<14} {role}")
