from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from supportqa.accounts.models import User
from supportqa.assignments.actions import link_review
from supportqa.audit.actions import record_event
from supportqa.conversations.models import Conversation
from supportqa.core.scoring import criterion_score
from supportqa.reviews.models import Rating, Review, ReviewStatus
from supportqa.scorecards.models import Criterion, ScorecardVersion


class ReviewInvalid(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class RatingInput:
    option_position: int | None = None  # index into the criterion's options; None with na
    na: bool = False
    comment: str = ""
    root_cause_positions: list[int] = field(default_factory=list)
    evidence_seqs: list[int] = field(default_factory=list)


def save_review(
    *,
    conversation: Conversation,
    reviewer: User,
    source: str,
    version: ScorecardVersion,
    ratings: dict[str, RatingInput],
    overall_comment: str = "",
    submit: bool = False,
    calibration_session: Any = None,
) -> Review:
    """Save a draft or submit a review, atomically. `ratings` is keyed by criterion code.

    A submit needs every criterion rated or N/A (where allowed) and stores raw and final score.
    """
    if conversation.agent_id is None:
        raise ReviewInvalid({"conversation": "has no assigned agent to review"})
    criteria = _criteria(version)
    errors = _validate(criteria, ratings, require_all=submit)
    if errors:
        raise ReviewInvalid(errors)
    seq_to_message = dict(conversation.messages.values_list("seq", "pk"))
    with transaction.atomic():
        review, _ = Review.objects.select_for_update().get_or_create(
            conversation=conversation,
            reviewer=reviewer,
            reviewee_id=conversation.agent_id,
            source=source,
            calibration_session=calibration_session,
            defaults={"scorecard_version": version},
        )
        if review.status not in (ReviewStatus.DRAFT, ReviewStatus.SUBMITTED):
            raise ReviewInvalid(
                {"review": f"is {review.get_status_display().lower()}; it can no longer be edited"}
            )
        review.scorecard_version = version
        review.overall_comment = overall_comment
        review.ratings.all().delete()
        chosen = _store_ratings(review, criteria, ratings, seq_to_message)
        if submit:
            score = version.score(chosen)
            review.raw_score, review.final_score = score.raw, score.final
            review.critical_failed = score.critical_failed
            review.status = ReviewStatus.SUBMITTED
            review.submitted_at = timezone.now()
            if calibration_session is None:
                link_review(review)
        review.save()
        record_event(
            actor=reviewer,
            action="review.submitted" if submit else "review.draft_saved",
            obj=review,
            data={"final_score": review.final_score, "source": source},
        )
    return review


def _criteria(version: ScorecardVersion) -> dict[str, Criterion]:
    return {
        c.code: c
        for c in Criterion.objects.filter(section__version=version)
        .prefetch_related("options", "root_causes")
        .order_by("section__position", "position")
    }


def _validate(
    criteria: dict[str, Criterion], ratings: dict[str, RatingInput], require_all: bool
) -> dict[str, str]:
    errors: dict[str, str] = {}
    for code in ratings:
        if code not in criteria:
            errors[code] = "is not a criterion of this scorecard"
    for code, criterion in criteria.items():
        given = ratings.get(code)
        if given is None or (given.option_position is None and not given.na):
            if require_all:
                errors[code] = f"{criterion.name}: choose a rating or N/A"
            continue
        if given.na and not criterion.allow_na:
            errors[code] = f"{criterion.name}: N/A is not allowed"
        elif not given.na and not 0 <= given.option_position < len(criterion.options.all()):  # type: ignore[operator]
            errors[code] = f"{criterion.name}: no such rating option"
        elif any(not 0 <= p < len(criterion.root_causes.all()) for p in given.root_cause_positions):
            errors[code] = f"{criterion.name}: no such root cause"
    return errors


def _store_ratings(
    review: Review,
    criteria: dict[str, Criterion],
    ratings: dict[str, RatingInput],
    seq_to_message: dict[int, int],
) -> dict[int, float | None]:
    chosen: dict[int, float | None] = {}
    for code, given in ratings.items():
        criterion = criteria[code]
        if given.option_position is None and not given.na:
            continue
        option = None if given.na else list(criterion.options.all())[given.option_position]  # type: ignore[index]
        score = None if option is None else criterion_score(option.value, *criterion.scale_bounds())
        rating = Rating.objects.create(
            review=review,
            criterion=criterion,
            option=option,
            is_na=given.na,
            score=score,
            comment=given.comment,
        )
        causes = list(criterion.root_causes.all())
        rating.root_causes.set([causes[p] for p in given.root_cause_positions])
        rating.evidence.set([seq_to_message[s] for s in given.evidence_seqs if s in seq_to_message])
        chosen[criterion.pk] = None if option is None else option.value
    return chosen
