"""Agreement figures of a revealed calibration session."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet, Sum

from supportqa.accounts.models import User
from supportqa.calibration.models import CalibrationSession
from supportqa.core.agreement import AgreementError, krippendorff_alpha, raw_agreement
from supportqa.core.intervals import wilson
from supportqa.reports.appraisal import offsets_of, twice_reviewed
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
    value, score = _ratings(reviews)
    results = [
        _criterion_result(
            criterion,
            [[value.get((c, r.pk, criterion.pk)) for r in reviewers] for c in conversations],
        )
        for criterion in criteria
    ]
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


def alignment_of(session: CalibrationSession, reviewer: int) -> float | None:
    """`session_results(session).alignment.get(reviewer)` for a participant, from their and
    the baseline's ratings alone (a home page shows the one figure; the whole results
    compute every criterion's agreement statistics)."""
    baseline = session.baseline_id
    if baseline is None or reviewer == baseline:
        return None
    reviews = list(
        session.reviews.filter(status=ReviewStatus.SUBMITTED, reviewer__in=[reviewer, baseline])
    )
    if all(r.reviewer_id != reviewer for r in reviews):
        return None  # not among the reviewers of the results
    conversations = list(session.conversations.values_list("pk", flat=True))
    criteria = list(Criterion.objects.filter(section__version=session.scorecard_version_id))
    value, score = _ratings(reviews)
    return _alignment(value, score, conversations, criteria, reviewer, baseline)


# Keyed by (conversation, reviewer, criterion).
_ByRating = dict[tuple[int, int, int], float | None]


def _ratings(reviews: list[Review]) -> tuple[_ByRating, _ByRating]:
    """Each rating's option value (what agreement is computed on) and criterion score."""
    value: _ByRating = {}
    score: _ByRating = {}
    for conversation, reviewer, criterion, option_value, criterion_score in (
        Rating.objects.filter(review__in=reviews)
        .select_related("option")
        .values_list(
            "review__conversation_id",
            "review__reviewer_id",
            "criterion_id",
            "option__value",
            "score",
        )
    ):
        value[(conversation, reviewer, criterion)] = option_value
        score[(conversation, reviewer, criterion)] = criterion_score
    return value, score


def _criterion_result(criterion: Criterion, units: list[list[float | None]]) -> CriterionResult:
    return CriterionResult(
        criterion,
        alpha=_safe(krippendorff_alpha, units, "ordinal"),
        percent=_safe(raw_agreement, units, "percent"),
        ac1=_safe(raw_agreement, units, "gwet"),
        ratings=sum(v is not None for row in units for v in row),
    )


def _compare_to_reference(
    out: Results,
    session: CalibrationSession,
    conversations: list[int],
    criteria: list[Criterion],
    value: _ByRating,
    score: _ByRating,
) -> None:
    """Heatmap of mean signed differences from the baseline reviewer's criterion scores, or,
    without a baseline, from the median of the other reviewers."""
    baseline = session.baseline_id
    out.reference = "baseline" if baseline else "the others' median"
    for reviewer in out.reviewers:
        if reviewer.pk == baseline:
            continue
        others = [o.pk for o in out.reviewers if o.pk != reviewer.pk]
        out.heatmap[reviewer.pk] = {
            criterion.pk: _mean_gap(
                score, conversations, (reviewer.pk, criterion.pk), baseline, others
            )
            for criterion in criteria
        }
        out.alignment[reviewer.pk] = (
            _alignment(value, score, conversations, criteria, reviewer.pk, baseline)
            if baseline
            else None
        )


def _mean_gap(
    score: _ByRating,
    conversations: list[int],
    rated: tuple[int, int],
    baseline: int | None,
    others: list[int],
) -> float | None:
    """Mean of (this reviewer's score − the reference) over the conversations both rated."""
    reviewer, criterion = rated
    gaps = []
    for c in conversations:
        mine = score.get((c, reviewer, criterion))
        if mine is None:
            continue
        if baseline:
            reference = score.get((c, baseline, criterion))
        else:
            theirs = [v for o in others if (v := score.get((c, o, criterion))) is not None]
            reference = statistics.median(theirs) if theirs else None
        if reference is not None:
            gaps.append(mine - reference)
    return statistics.fmean(gaps) if gaps else None


def _alignment(
    value: _ByRating,
    score: _ByRating,
    conversations: list[int],
    criteria: list[Criterion],
    reviewer: int,
    baseline: int,
) -> float | None:
    """Share of the ratings both gave where the reviewer chose the baseline's option."""
    equal = compared = 0
    for criterion in criteria:
        for c in conversations:
            mine, theirs = (c, reviewer, criterion.pk), (c, baseline, criterion.pk)
            if score.get(mine) is None or score.get(theirs) is None:
                continue
            compared += 1
            equal += value.get(mine) == value.get(theirs)
    return equal / compared if compared else None


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
    given = {
        reviewer: (n, total)
        for reviewer, n, total in reviews.filter(reviewer__isnull=False)
        .order_by()
        .values_list("reviewer_id")
        .annotate(n=Count("pk"), total=Sum("final_score"))
    }
    offsets = offsets_of(twice_reviewed(reviews))
    overturned = Counter(
        Dispute.objects.filter(
            review__in=reviews, status__in=(Dispute.Status.ACCEPTED, Dispute.Status.PARTIAL)
        ).values_list("review__reviewer_id", flat=True)
    )
    people = {u.pk: u for u in User.objects.filter(pk__in=given)}
    standings = [
        {
            "user": people[pk],
            "reviews": n,
            "mean": total / n,
            "offset": offsets.get(pk),
            "overturn": wilson(overturned[pk], n).scaled(100),
        }
        for pk, (n, total) in given.items()
    ]
    return sorted(
        standings,
        key=lambda r: (
            -(r["offset"].value if r["offset"] else float("-inf")),
            str(r["user"]),
        ),
    )
