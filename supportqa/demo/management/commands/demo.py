from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from supportqa.autoqa.actions import publish_validations, work
from supportqa.autoqa.evaluation import evaluate_files
from supportqa.autoqa.learning import train_models
from supportqa.claims import worker_name
from supportqa.conversations.categorize import train_from_conversations
from supportqa.core.autoqa.evaluate import HIT
from supportqa.core.classify import ModelError
from supportqa.demo.coaching import build_coaching
from supportqa.demo.generate import DEMO_PASSWORD, build
from supportqa.demo.shopping import build_shopping
from supportqa.demo.social import build_social
from supportqa.demo.surveys import build_surveys
from supportqa.demo.workflow import build_requests
from supportqa.surveys.actions import SOURCE as SOURCE_PAGE
from supportqa.surveys.models import SurveyResponse

# Where a set's labels mean something other than the detector's "exceeds": "anything else?"
# scores 0.5 (meets); "not offensive" is "not marked rude" (0.25). README of the shared sets.
RECOMMENDED_THRESHOLDS = {"sgd_follow_up": 0.5, "davidson_offensive": 0.25}


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
        parser.add_argument(
            "--validation-sets",
            metavar="DIR",
            help="measure AutoQA on each labelled set in DIR (a folder per set holding "
            "SET.jsonl and SET.labels.csv) and show the figures on the AutoQA page",
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
        try:
            trained = train_from_conversations(None)
        except ModelError as exc:
            self.stdout.write(f"No request categorizer: {exc}.")
        else:
            self.stdout.write(
                f"The request categorizer learned {trained.labels} categories from "
                f"{trained.examples} conversations ({trained.accuracy:.0%} right on "
                f"{trained.held_out} held out); conversation pages show its suggestion."
            )
        requests = build_requests()
        if requests:
            self.stdout.write(
                f"{requests} requests in the quality-control workflow, at every stage "
                "(Requests in the menu)."
            )
        sessions = build_coaching()
        if sessions:
            self.stdout.write(
                f"{sessions} coaching sessions of team Alpha's lead, with goals at every "
                "status (Coaching in the menu)."
            )
        surveyed = build_surveys()
        if surveyed:
            answered = SurveyResponse.objects.filter(source=SOURCE_PAGE).count()
            self.stdout.write(
                f"{surveyed} surveys sent by SupportQA in the last fortnight, {answered} answered "
                "on the survey page, bad scores followed up (Customers → Surveys)."
            )
        shops = build_shopping()
        if shops:
            self.stdout.write(
                f"{shops} mystery shops done by Shay Shopper and 3 to do (Customers → Mystery "
                "shopping; log in as shopper to do one)."
            )
        posts = build_social()
        if posts:
            self.stdout.write(
                f"{posts} social media posts over eight weeks, with an outage two days ago "
                "that raised an alert (Customers → Social media)."
            )
        if options["validation_sets"]:
            self._validate(Path(options["validation_sets"]))
        self.stdout.write(f"Log in with any of these users; the password is {DEMO_PASSWORD!r}:")
        for username, role in stats.logins:
            self.stdout.write(f"  {username:<14} {role}")

    def _validate(self, folder: Path) -> None:
        """Each set measured at the threshold its README recommends (0.75 unless named)."""
        for conversations in sorted(folder.glob("*/*.jsonl")):
            labels = conversations.with_suffix(".labels.csv")
            if not labels.exists():
                continue
            name = conversations.stem
            evaluation = evaluate_files(
                conversations.read_bytes(),
                labels.read_bytes(),
                threshold=RECOMMENDED_THRESHOLDS.get(name, HIT),
            )
            shown = publish_validations(evaluation, name)
            self.stdout.write(f"AutoQA measured on {name}: {len(shown)} figure set(s).")
