"""Why we fail: the root causes reviewers tag on ratings, as a Pareto, and the contact
reasons (categories) with their volume and outcomes. Queries here; formulas in the core.

A root cause is counted once per rating it is tagged on, in the reviews counting toward IQS of
the conversations created in the period. Causes are matched across scorecard versions by the
criterion's key and the cause's label, so a new version does not split a cause in two.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from supportqa.conversations.models import Category, Conversation
from supportqa.core.intervals import Estimate, wilson
from supportqa.core.pareto import ParetoRow, pareto
from supportqa.reports import rollups
from supportqa.reports.periods import Period
from supportqa.reviews.forms import cause_key
from supportqa.reviews.models import Rating, Review, counting_condition


def tagged_ratings(
    conversations: QuerySet[Conversation], reviews: QuerySet[Review]
) -> QuerySet[Any]:
    """The (rating, root cause) links of the reviews counting toward IQS of these
    conversations: one row per cause tagged on a rating. Read from the links, which only
    people's ratings have, through their rating and review by primary key: the review's
    conditions are ones no index serves on SQLite and the conversations a correlated EXISTS.
    Led by the reviews instead (an IN list of the counted reviews), SQLite's plan hung on its
    statistics of the review's source (people's few thousand reviews a source averaged with
    AutoQA's million): in one build of a million conversations it read the people's reviews
    by the source index (83 ms for the page), in another the whole review table (365 ms)."""
    through = Rating.root_causes.through
    return through.objects.filter(
        counting_condition("rating__review__", indexed=False),
        Exists(reviews.filter(pk=OuterRef("rating__review_id"))),
        Exists(conversations.filter(pk=OuterRef("rating__review__conversation_id"))),
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


def contact_reasons(scope: Q, period: Period) -> list[ContactReason]:
    """Per category of the conversations `scope` admits (conditions on agent, team and
    channel): volume (and the previous period's), resolution, FCR, CSAT of the surveys about
    them (the dashboards' one survey population) and mean time to resolve. From the daily
    rollups: a fixed number of statements whatever the number of conversations."""
    before = period.previous()
    rollups.current(Period(before.start, period.end), kinds=("conversation",))
    rows = rollups.grouped(rollups.CONVERSATIONS, scope, period, ("category_id", "resolved"))
    earlier = rollups.grouped(rollups.CONVERSATIONS, scope, before, ("category_id",))
    categories = {
        pk: (name, code) for pk, name, code in Category.objects.values_list("pk", "name", "code")
    }
    previous: dict[Any, int] = defaultdict(int)
    for (category_id,), row in earlier.items():
        previous[category_id] += row["volume"]
    totals: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    resolved: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (category_id, is_resolved), row in rows.items():
        for into in (totals[category_id], *([resolved[category_id]] if is_resolved else [])):
            for column, value in row.items():
                into[column] += value
    reasons = []
    for category_id, row in totals.items():
        if not row["volume"]:
            continue
        name, code = categories.get(category_id, ("Uncategorized", ""))
        done = resolved[category_id]
        reasons.append(
            ContactReason(
                name,
                code,
                row["volume"],
                previous[category_id],
                wilson(done["volume"], row["volume"]).scaled(100),
                wilson(row["first_contact"], done["volume"]).scaled(100),
                wilson(row["surveys_satisfied"], row["surveys_answered"]).scaled(100),
                done["resolution_sum"] / done["volume"] / 3600 if done["volume"] else None,
            )
        )
    return sorted(reasons, key=lambda r: (-r.volume, r.category))
