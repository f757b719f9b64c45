"""Agreement figures of a revealed calibration session."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from supportqa.accounts.models import User
from supportqa.calibration.models import CalibrationSession
from supportqa.core.agreement import AgreementError, krippendorff_alpha, raw_agreement
from supportqa.core.intervals import wilson
from supportqa.core.leniency import reviewer_offsets
from supportqa.reviews.models import Dispute, Rating, Review, ReviewStatus
from supportqa.scorecards.models import Criterion

AMBIGUOUS_BELOW = 0.667  # Krippendorff's (2004) lowest acceptable alpha for tentative conclusions


@dataclass
class CriterionResult:
    criterion: Criterion
    alpha: float | None
    percent: float | None
    ac1: float | None
    ratings: int

    @property
    def ambiguous(self) -> bool:
        return self.alpha is not None and self.alpha < AMBIGUOUS_BELOW


@dataclass
class Results:
    criteria: list[CriterionResult]
    overall_alpha: float | None
    reviewers: list[Any]
    # reviewer pk -> criterion pk -> mean difference in points from the reference
    heatmap: dict[int, dict[int, float | None]] = field(default_factory=dict)
    alignment: dict[int, float | None] = field(default_factory=dict)  # share equal to baseline
    reference: str = "baseline"
    submitted: int = 0


def _safe(function: Any, *args: Any) -> float | None:
    try:
        value = function(*args)
    except (AgreementError, ZeroDivisionError, ValueError):
        return None
    return getattr(value, "value", value)


def session_results(session: CalibrationSession) -> Results:
    conversations = list(session.conversations.order_by("pk").values_list("pk", flat=True))
    reviews = list(session.reviews.filter(status=ReviewStatus.SUBMITTED).select_related("reviewer"))
    # Agreement is among the participants; an agreed final (entered later) is only a reference.
    participants = set(session.participants.values_list("pk", flat=True))
    reviewers = sorted(
        {r.reviewer for r in reviews if r.reviewer_id in participants}, key=lambda u: u.name
    )
    criteria = list(
        Criterion.objects.filter(section__version=session.scorecard_version).order_by(
            "section__position", "position"
        )
    )
    ratings = (
        Rating.objects.filter(review__in=reviews)
        .select_related("option")
        .values_list(
            "review__conversation_id",
            "review__reviewer_id",
            "criterion_id",
            "option__value",
            "score",
        )
    )
    value: dict[tuple[int, int, int], float | None] = {}
    score: dict[tuple[int, int, int], float | None] = {}
    for conversation, reviewer, criterion, option_value, criterion_score in ratings:
        value[(conversation, reviewer, criterion)] = option_value
        score[(conversation, reviewer, criterion)] = criterion_score
    results = []
    for criterion in criteria:
        units = [[value.get((c, r.pk, criterion.pk)) for r in reviewers] for c in conversations]
        results.append(
            CriterionResult(
                criterion,
                alpha=_safe(krippendorff_alpha, units, "ordinal"),
                percent=_safe(raw_agreement, units, "percent"),
                ac1=_safe(raw_agreement, units, "gwet"),
                ratings=sum(v is not None for row in units for v in row),
            )
        )
    finals = {
        (r.conversation_id, r.reviewer_id): r.final_score
        for r in reviews
        if r.reviewer_id in participants
    }
    overall = [[finals.get((c, r.pk)) for r in reviewers] for c in conversations]
    out = Results(
        results, _safe(krippendorff_alpha, overall, "interval"), reviewers, submitted=len(reviews)
    )
    _compare_to_reference(out, session, conversations, criteria, value, score)
    return out


def _compare_to_reference(
    out: Results,
    session: CalibrationSession,
    conversations: list[int],
    criteria: list[Criterion],
    value: dict,
    score: dict,
) -> None:
    """Heatmap of mean signed differences from the baseline reviewer's criterion scores, or,
    without a baseline, from the median of the other reviewers."""
    baseline = session.baseline_id
    out.reference = "baseline" if baseline else "the others' median"
    for reviewer in out.reviewers:
        if reviewer.pk == baseline:
            continue
        row: dict[int, float | None] = {}
        equal = compared = 0
        for criterion in criteria:
            gaps = []
            for c in conversations:
                mine = score.get((c, reviewer.pk, criterion.pk))
                if mine is None:
                    continue
                if baseline:
                    reference = score.get((c, baseline, criterion.pk))
                    if reference is not None:
                        compared += 1
                        equal += value.get((c, reviewer.pk, criterion.pk)) == value.get(
                            (c, baseline, criterion.pk)
                        )
                else:
                    others = [
                        score.get((c, o.pk, criterion.pk))
                        for o in out.reviewers
                        if o.pk != reviewer.pk
                    ]
                    others = [o for o in others if o is not None]
                    reference = statistics.median(others) if others else None
                if reference is not None:
                    gaps.append(mine - reference)
            row[criterion.pk] = statistics.fmean(gaps) if gaps else None
        out.heatmap[reviewer.pk] = row
        out.alignment[reviewer.pk] = equal / compared if baseline and compared else None


def history(sessions: Any) -> list[tuple[CalibrationSession, float | None, int]]:
    """Revealed sessions with their overall alpha, oldest first (the trend of calibration)."""
    revealed = list(
        sessions.filter(status=CalibrationSession.Status.REVEALED).order_by("revealed_at")
    )
    finals: dict[int, dict[tuple[int, int], float | None]] = {s.pk: {} for s in revealed}
    for session_id, conversation, reviewer, final in Review.objects.filter(
        calibration_session__in=revealed, status=ReviewStatus.SUBMITTED
    ).values_list("calibration_session_id", "conversation_id", "reviewer_id", "final_score"):
        finals[session_id][(conversation, reviewer)] = final
    out = []
    for session in revealed:
        scores = finals[session.pk]
        reviewers = sorted({k[1] for k in scores})
        units = sorted({k[0] for k in scores})
        data = [[scores.get((u, r)) for r in reviewers] for u in units]
        out.append((session, _safe(krippendorff_alpha, data, "interval"), len(reviewers)))
    return out


def reviewer_standings(reviews: QuerySet[Any]) -> list[dict[str, Any]]:
    """Each reviewer of these (scored) reviews: how many, their mean, their offset (leniency
    + or severity −, from conversations reviewed more than once, with its interval) and the
    share of their reviews overturned by a dispute; most lenient first."""
    rows = list(
        reviews.filter(reviewer__isnull=False).values_list(
            "conversation_id", "reviewer_id", "final_score"
        )
    )
    offsets = reviewer_offsets(rows)
    overturned = Counter(
        Dispute.objects.filter(
            review__in=reviews, status__in=(Dispute.Status.ACCEPTED, Dispute.Status.PARTIAL)
        ).values_list("review__reviewer_id", flat=True)
    )
    given: dict[int, list[float]] = defaultdict(list)
    for _, reviewer, score in rows:
        given[reviewer].append(score)
    people = {u.pk: u for u in User.objects.filter(pk__in=given)}
    standings = [
        {
            "user": people[pk],
            "reviews": len(scores),
            "mean": sum(scores) / len(scores),
            "offset": offsets.get(pk),
            "overturn": wilson(overturned[pk], len(scores)).scaled(100),
        }
        for pk, scores in given.items()
    ]
    return sorted(standings, key=lambda r: -(r["offset"].value if r["offset"] else float("-inf")))
