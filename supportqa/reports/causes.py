"""Why we fail: the root causes reviewers tag on ratings, as a Pareto, and the contact
reasons (categories) with their volume and outcomes. Queries here; formulas in the core.

A root cause is counted once per rating it is tagged on, in the reviews counting toward IQS of
the conversations created in the period. Causes are matched across scorecard versions by the
criterion's key and the cause's label, so a new version does not split a cause in two.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet, Sum

from supportqa.conversations.models import Category, Conversation
from supportqa.core.intervals import Estimate, wilson
from supportqa.core.pareto import ParetoRow, pareto
from supportqa.reports.periods import Period
from supportqa.reports.rollups import outcome_counts
from supportqa.reviews.forms import cause_key
from supportqa.reviews.models import Rating, Review
from supportqa.surveys.models import SATISFIED, SurveyResponse


def tagged_ratings(
    conversations: QuerySet[Conversation], reviews: QuerySet[Review]
) -> QuerySet[Any]:
    """The (rating, root cause) links of the reviews counting toward IQS of these
    conversations: one row per cause tagged on a rating."""
    through = Rating.root_causes.through
    return through.objects.filter(
        rating__review__in=reviews.counting_toward_iqs().filter(conversation__in=conversations)
    )


def root_causes(
    conversations: QuerySet[Conversation],
    reviews: QuerySet[Review],
    names: dict[str, str],
    criterion: str = "",
) -> list[ParetoRow[str]]:
    """The Pareto of root causes, labelled with `names` (criterion key → name); `criterion`
    (a key) narrows it to one criterion."""
    links = tagged_ratings(conversations, reviews)
    if criterion:
        links = links.filter(rootcauseoption__criterion__key=criterion)
    counts = (
        links.values(
            "rootcauseoption__criterion__key",
            "rootcauseoption__label",
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    return pareto(
        (
            cause_key(row["rootcauseoption__criterion__key"], row["rootcauseoption__label"]),
            f"{names.get(row['rootcauseoption__criterion__key'], '?')}: "
            f"{row['rootcauseoption__label']}",
            row["n"],
        )
        for row in counts
    )


@dataclass(frozen=True)
class ContactReason:
    category: str
    code: str  # for the drill-down link; "" for uncategorized
    volume: int
    previous: int  # conversations in the period of the same length just before
    resolved: Estimate  # share of the conversations resolved
    fcr: Estimate  # of the resolved, resolved at first contact (PRODUCT.md §5)
    csat: Estimate
    mean_resolution_hours: float | None

    @property
    def change(self) -> float | None:
        """Volume change against the previous period, in percent."""
        return None if not self.previous else 100 * (self.volume - self.previous) / self.previous


def contact_reasons(
    conversations: QuerySet[Conversation], surveys: QuerySet[SurveyResponse], period: Period
) -> list[ContactReason]:
    """Per category: volume (and the previous period's), resolution, FCR, CSAT and mean
    time to resolve. Three grouped queries, whatever the number of conversations."""
    current = {
        row["category_id"]: row
        for row in conversations.filter(created_at__gte=period.start, created_at__lt=period.end)
        .values("category_id")
        .annotate(**outcome_counts(), resolution_sum=Sum("resolution_seconds"))
        .order_by()
    }
    length = period.end - period.start
    before = dict(
        conversations.filter(created_at__gte=period.start - length, created_at__lt=period.start)
        .values_list("category_id")
        .annotate(volume=Count("pk"))
        .order_by()
    )
    answers = {
        row["conversation__category_id"]: row
        for row in surveys.filter(answered_at__gte=period.start, answered_at__lt=period.end)
        .values("conversation__category_id")
        .annotate(n=Count("csat"), top=Count("pk", filter=SATISFIED))
        .order_by()
    }
    categories = {
        pk: (name, code) for pk, name, code in Category.objects.values_list("pk", "name", "code")
    }
    reasons = []
    for category_id, row in current.items():
        name, code = categories.get(category_id, ("Uncategorized", ""))
        survey = answers.get(category_id, {"n": 0, "top": 0})
        reasons.append(
            ContactReason(
                name,
                code,
                row["volume"],
                before.get(category_id, 0),
                wilson(row["resolved"], row["volume"]).scaled(100),
                wilson(row["first_contact"], row["resolved"]).scaled(100),
                wilson(survey["top"], survey["n"]).scaled(100),
                row["resolution_sum"] / row["resolved"] / 3600 if row["resolved"] else None,
            )
        )
    return sorted(reasons, key=lambda r: (-r.volume, r.category))
