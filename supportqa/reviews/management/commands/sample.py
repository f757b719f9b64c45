from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from supportqa.accounts.models import AGENT_ROLES, User
from supportqa.core.sampling import pooled_within_sd, reviews_needed
from supportqa.reviews.models import Review


class Command(BaseCommand):
    help = (
        "Review sampling. `sample plan --margin M` prints how many reviews each agent needs so "
        "that the interval of their quality score is ±M points at the given confidence, and "
        "how many more each agent needs in the period."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        plan = sub.add_parser("plan", help="reviews needed per agent for a ±margin")
        plan.add_argument("--margin", type=float, required=True, help="half-width, in points")
        plan.add_argument("--confidence", type=float, default=0.95)
        plan.add_argument(
            "--sd",
            type=float,
            help="score standard deviation; default: pooled within-agent SD of "
            "the human reviews in the period",
        )
        plan.add_argument("--days", type=int, default=90, help="period (default 90 days)")

    def handle(self, *args: Any, **options: Any) -> None:
        since = timezone.now() - timedelta(days=options["days"])
        scores: dict[int, list[float]] = defaultdict(list)
        for reviewee, score in (
            Review.objects.counting_toward_iqs()
            .filter(submitted_at__gte=since)
            .values_list("reviewee_id", "final_score")
        ):
            scores[reviewee].append(score)
        sd = options["sd"] or pooled_within_sd(list(scores.values()))
        if sd is None:
            raise CommandError("no agent has two reviews in the period: pass --sd")
        try:
            needed = reviews_needed(options["margin"], options["confidence"], sd)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        source = "given" if options["sd"] else "pooled within-agent SD of reviews"
        self.stdout.write(
            f"±{options['margin']:g} points at {options['confidence']:.0%} confidence with "
            f"SD {sd:.1f} ({source}): {needed} reviews per agent\n"
        )
        self.stdout.write(f"{'agent':<28}{'reviews':>9}{'more needed':>13}")
        agents = User.objects.filter(role__in=AGENT_ROLES, is_active=True).order_by("username")
        for agent in agents:
            have = len(scores.get(agent.pk, []))
            self.stdout.write(f"{agent.name[:27]:<28}{have:>9}{max(0, needed - have):>13}")
