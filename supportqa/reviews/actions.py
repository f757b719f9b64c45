from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from supportqa.accounts.models import User
from supportqa.assignments.actions import link_review
from supportqa.audit.actions import record_event
from supportqa.conversations.models import Conversation
from supportqa.core.scoring import criterion_score
from supportqa.reviews.models import IQS_SOURCES, Dispute, DisputeItem, Rating, Review, ReviewStatus
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


# --- disputes ----------------------------------------------------------------------------------


def dispute_deadline(review: Review) -> Any:
    return review.submitted_at + timedelta(days=settings.SUPPORTQA_DISPUTE_DAYS)


def raise_dispute(
    *, review: Review, by: User, proposals: dict[str, RatingInput], reason: str
) -> Dispute:
    """The reviewed agent contests some ratings, proposing others; the review is disputed."""
    if by.pk != review.reviewee_id:
        raise ReviewInvalid({"review": "only the reviewed agent can dispute it"})
    if review.status != ReviewStatus.SUBMITTED or review.source not in IQS_SOURCES:
        raise ReviewInvalid({"review": "only a submitted quality review can be disputed"})
    if timezone.now() > dispute_deadline(review):
        raise ReviewInvalid(
            {
                "review": f"the dispute deadline ({settings.SUPPORTQA_DISPUTE_DAYS}"
                " days after submission) has passed"
            }
        )
    if not reason.strip():
        raise ReviewInvalid({"reason": "say why the rating is wrong"})
    current = {r.criterion.code: r for r in review.ratings.select_related("criterion", "option")}
    criteria = _criteria(review.scorecard_version)
    items = []
    for code, proposal in proposals.items():
        criterion, rating = criteria.get(code), current.get(code)
        if criterion is None or rating is None:
            raise ReviewInvalid({code: "is not a rated criterion of this review"})
        options = list(criterion.options.all())
        if proposal.na and not criterion.allow_na:
            raise ReviewInvalid({code: f"{criterion.name}: N/A is not allowed"})
        if not proposal.na and not 0 <= (proposal.option_position or 0) < len(options):
            raise ReviewInvalid({code: f"{criterion.name}: no such rating option"})
        proposed = None if proposal.na else options[proposal.option_position or 0]
        if proposed == rating.option:
            raise ReviewInvalid({code: f"{criterion.name}: propose a different rating"})
        items.append(
            DisputeItem(
                criterion=criterion, previous_option=rating.option, proposed_option=proposed
            )
        )
    if not items:
        raise ReviewInvalid({"criteria": "choose at least one rating to dispute"})
    with transaction.atomic():
        dispute = Dispute.objects.create(
            review=review, raised_by=by, reason=reason.strip(), score_before=review.final_score
        )
        for item in items:
            item.dispute = dispute
        DisputeItem.objects.bulk_create(items)
        review.status = ReviewStatus.DISPUTED
        review.save(update_fields=["status", "updated_at"])
        record_event(
            actor=by,
            action="dispute.raised",
            obj=dispute,
            data={"review": review.code, "criteria": [i.criterion.key for i in items]},
        )
    return dispute


def decide_dispute(*, dispute: Dispute, by: User, accepted: set[str], reason: str) -> Dispute:
    """Accept some, all or none of the proposals; accepted ones change the ratings and the
    score (the previous ratings stay on the dispute, the change in the audit log)."""
    if by.pk == dispute.raised_by_id:
        raise ReviewInvalid({"dispute": "the agent who raised it cannot decide it"})
    if dispute.status != Dispute.Status.OPEN:
        raise ReviewInvalid({"dispute": "is already decided"})
    if not reason.strip():
        raise ReviewInvalid({"decision_reason": "give the reason for the decision"})
    review = dispute.review
    with transaction.atomic():
        items = list(dispute.items.select_related("criterion", "proposed_option"))
        for item in items:
            item.accepted = item.criterion.code in accepted
            item.save(update_fields=["accepted"])
            if item.accepted:
                option = item.proposed_option
                score = (
                    None
                    if option is None
                    else criterion_score(option.value, *item.criterion.scale_bounds())
                )
                review.ratings.filter(criterion=item.criterion).update(
                    option=option, is_na=option is None, score=score
                )
        chosen = {
            r.criterion_id: (None if r.is_na else r.option.value)
            for r in review.ratings.select_related("option")
        }
        result = review.scorecard_version.score(chosen)
        review.raw_score, review.final_score = result.raw, result.final
        review.critical_failed = result.critical_failed
        review.status = ReviewStatus.FINAL
        review.save(
            update_fields=["raw_score", "final_score", "critical_failed", "status", "updated_at"]
        )
        count = sum(1 for i in items if i.accepted)
        dispute.status = (
            Dispute.Status.REJECTED
            if count == 0
            else Dispute.Status.ACCEPTED
            if count == len(items)
            else Dispute.Status.PARTIAL
        )
        dispute.decided_by, dispute.decided_at = by, timezone.now()
        dispute.decision_reason, dispute.score_after = reason.strip(), review.final_score
        dispute.save()
        record_event(
            actor=by,
            action="dispute.decided",
            obj=dispute,
            data={
                "status": dispute.status,
                "score_before": dispute.score_before,
                "score_after": dispute.score_after,
            },
        )
    return dispute
