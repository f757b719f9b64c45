from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from supportqa.accounts.models import Role, User
from supportqa.accounts.permissions import may_decide_disputes
from supportqa.audit.actions import record_event
from supportqa.conversations.models import Conversation
from supportqa.core.jsontext import unstorable
from supportqa.notifications.actions import notify, settle
from supportqa.notifications.models import Kind
from supportqa.reviews.access import may_acknowledge
from supportqa.reviews.models import (
    Dispute,
    DisputeItem,
    Rating,
    Review,
    ReviewRevision,
    ReviewStatus,
    Source,
)
from supportqa.reviews.signals import review_submitted
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
    """Save the reviewer's draft, or submit it, atomically. `ratings` is keyed by criterion code.

    Applies to drafts only: once submitted, a review changes only through `edit_review` (with
    a reason) or a dispute decision. A submit needs every criterion rated or N/A (where
    allowed), stores raw and final score and the submission time, which never moves.
    """
    if conversation.agent_id is None:
        raise ReviewInvalid({"conversation": "has no assigned agent to review"})
    criteria = _criteria(version)
    errors = _validate(criteria, ratings, require_all=submit)
    if errors:
        raise ReviewInvalid(errors)
    with transaction.atomic():
        if calibration_session is not None:
            _check_calibration_open(calibration_session, reviewer)
        review, _ = Review.objects.select_for_update().get_or_create(
            conversation=conversation,
            reviewer=reviewer,
            reviewee_id=conversation.agent_id,
            source=source,
            calibration_session=calibration_session,
            defaults={"scorecard_version": version},
        )
        if review.status != ReviewStatus.DRAFT:
            raise ReviewInvalid({"review": _not_a_draft(review)})
        review.scorecard_version = version
        review.overall_comment = overall_comment
        _replace_ratings(review, criteria, ratings, conversation)
        if submit:
            review.rescore()
            review.status = ReviewStatus.SUBMITTED
            review.submitted_at = timezone.now()
            if calibration_session is None:
                review_submitted.send(sender=Review, review=review)
        review.save()
        if submit and review.counts_toward_iqs:
            tell_reviewed(review)
        record_event(
            actor=reviewer,
            action="review.submitted" if submit else "review.draft_saved",
            obj=review,
            data={"final_score": review.final_score, "source": source},
        )
    return review


def edit_review(
    *,
    review: Review,
    by: User,
    ratings: dict[str, RatingInput],
    overall_comment: str,
    reason: str,
) -> Review:
    """Change a submitted review: its previous version is kept as a revision, it is scored
    again in the same transaction and audited. The submission time does not move."""
    if not reason.strip():
        raise ReviewInvalid({"reason": "say why the review is changed"})
    criteria = _criteria(review.scorecard_version)
    errors = _validate(criteria, ratings, require_all=True)
    if errors:
        raise ReviewInvalid(errors)
    with transaction.atomic():
        locked = (
            Review.objects.select_for_update(of=("self",))
            .select_related("scorecard_version", "conversation", "calibration_session")
            .get(pk=review.pk)
        )
        refusal = edit_refusal(by, locked)
        if refusal:
            raise ReviewInvalid({"review": refusal})
        before = locked.final_score
        revision = keep_revision(locked, by=by, reason=reason)
        locked.overall_comment = overall_comment
        _replace_ratings(locked, criteria, ratings, locked.conversation)
        locked.save(update_fields=[*locked.rescore(), "overall_comment", "updated_at"])
        _tell_edited(locked, by, before)
        record_event(
            actor=by,
            action="review.edited",
            obj=locked,
            data={
                "revision": revision.number,
                "reason": revision.reason,
                "score_before": before,
                "score_after": locked.final_score,
            },
        )
    return locked


def tell_reviewed(review: Review) -> None:
    """The reviewed agent is told of a submitted quality review."""
    who = review.reviewer.name if review.reviewer else "Someone"
    _tell(
        [review.reviewee],
        Kind.REVIEW_RECEIVED,
        review,
        review.reviewer,
        lambda about: f"{who} reviewed your {about}: {_score(review)}",
    )


def _tell_edited(review: Review, by: User, before: float | None) -> None:
    if review.calibration_session_id is not None:
        return
    change = f"{_percent(before)} → {_score(review)}"
    agent = review.reviewee.name
    _tell(
        [review.reviewee],
        Kind.REVIEW_EDITED,
        review,
        by,
        lambda about: f"{by.name} changed the review of your {about}: {change}",
    )
    if review.reviewer is not None:
        _tell(
            [review.reviewer],
            Kind.REVIEW_EDITED,
            review,
            by,
            lambda about: f"{by.name} changed your review of {agent}'s {about}: {change}",
        )


def _tell(
    users: list[User],
    kind: Kind,
    review: Review,
    actor: User | None,
    say: Callable[[str], str],
) -> None:
    """Notify about a review; `say(about)` words it around the conversation's name: its
    subject in the app, its help-desk id in mails (no words a customer wrote leave by mail)."""
    notify(
        users=users,
        kind=kind,
        text=say(_about(review.conversation)),
        mail_text=say(f"conversation {review.conversation.external_id}"),
        link=_link(review),
        actor=actor,
    )


def _about(conversation: Conversation) -> str:
    """How notifications name a conversation: as its pages do, by subject (the people told
    may open it), else by its help-desk id."""
    if conversation.subject:
        subject = conversation.subject
        return f"conversation “{subject[:57] + '…' if len(subject) > 60 else subject}”"
    return f"conversation {conversation.external_id}"


def _percent(score: float | None) -> str:
    return "no score" if score is None else f"{score:.1f}%"


def _score(review: Review) -> str:
    return _percent(review.final_score) + (" (critical fail)" if review.critical_failed else "")


def _link(review: Review) -> str:
    return reverse("review-detail", args=[review.code])


def follow_teams(*, conversation_ids: Sequence[int]) -> None:
    """Copy the conversations' team onto their reviews (`Review.team`), after an import moved
    them to another team. Call inside the transaction that changed the conversations."""
    team = Conversation.objects.filter(pk=OuterRef("conversation_id")).values("team_id")[:1]
    Review.objects.filter(conversation_id__in=conversation_ids).update(team_id=Subquery(team))


def may_edit(user: User, review: Review) -> bool:
    """Who may change a review once submitted (the review must be in their scope, which the
    caller's access helper checks): its reviewer, and for quality reviews the arbiters
    (leads, managers, admins) other than the reviewed agent. AutoQA rewrites its own."""
    if review.source == Source.AUTOQA:
        return False
    if user.pk == review.reviewer_id:
        return True
    return (
        review.calibration_session_id is None
        and user.pk != review.reviewee_id
        and may_decide_disputes(user)
    )


def edit_refusal(user: User, review: Review) -> str:
    """Why this person may not edit this review now; "" if they may."""
    if not may_edit(user, review):
        return "only its reviewer or a lead, manager or admin may edit it"
    if review.status != ReviewStatus.SUBMITTED:
        return _not_a_draft(review)
    session = review.calibration_session
    if session is not None and session.is_revealed:
        return "the calibration results are revealed: its reviews are frozen"
    return ""


def _not_a_draft(review: Review) -> str:
    if review.status == ReviewStatus.DRAFT:
        return "is a draft: save or submit it"
    if review.status == ReviewStatus.SUBMITTED:
        return "is already submitted: edit it with a reason instead"
    return f"is {review.get_status_display().lower()}; it changes only through the dispute decision"


def _check_calibration_open(session: Any, reviewer: User) -> None:
    """Refuse a calibration review the session no longer (or never) accepts from this person;
    the session is locked so a reveal cannot slip in between the check and the save."""
    locked = type(session).objects.select_for_update().get(pk=session.pk)
    if not locked.accepts_reviews_from(reviewer):
        raise ReviewInvalid(
            {"review": "the calibration results are revealed: its reviews are frozen"}
            if locked.is_revealed
            else {"review": "only the session's participants review its conversations"}
        )


def keep_revision(review: Review, *, by: User, reason: str) -> ReviewRevision:
    """Store the review's current version before it changes. Call inside its transaction."""
    previous = review.revisions.order_by("-number").first()
    ratings = review.ratings.select_related("criterion", "option").prefetch_related(
        "root_causes", "evidence"
    )
    return ReviewRevision.objects.create(
        review=review,
        number=(previous.number if previous else 0) + 1,
        scorecard_version=review.scorecard_version,
        ratings=[
            {
                "criterion": r.criterion.key,
                "name": r.criterion.name,
                "rating": "N/A" if r.is_na else r.option.label,
                "score": r.score,
                "comment": r.comment,
                "root_causes": [c.label for c in r.root_causes.all()],
                "evidence": sorted(m.seq for m in r.evidence.all()),
            }
            for r in ratings.order_by("criterion__section__position", "criterion__position")
        ],
        overall_comment=review.overall_comment,
        raw_score=review.raw_score,
        final_score=review.final_score,
        critical_failed=review.critical_failed,
        version_by_id=previous.replaced_by_id if previous else review.reviewer_id,
        version_at=previous.replaced_at if previous else review.submitted_at,
        replaced_by=by,
        replaced_at=timezone.now(),
        reason=reason.strip()[:5000],
    )


def _criteria(version: ScorecardVersion) -> dict[str, Criterion]:
    return {c.code: c for c in version.parts.criteria}


def _validate(
    criteria: dict[str, Criterion], ratings: dict[str, RatingInput], require_all: bool
) -> dict[str, str]:
    errors = {
        code: "is not a criterion of this scorecard" for code in ratings if code not in criteria
    }
    for code, criterion in criteria.items():
        given = ratings.get(code)
        if given is None or (given.option_position is None and not given.na):
            if require_all:
                errors[code] = f"{criterion.name}: choose a rating or N/A"
            continue
        problem = _rating_problem(criterion, given)
        if problem:
            errors[code] = f"{criterion.name}: {problem}"
    return errors


def _rating_problem(criterion: Criterion, given: RatingInput) -> str:
    """What is wrong with a given rating of this criterion ("" when nothing is)."""
    if given.na and not criterion.allow_na:
        return "N/A is not allowed"
    if not given.na and not 0 <= given.option_position < len(criterion.options.all()):  # type: ignore[operator]
        return "no such rating option"
    if any(not 0 <= p < len(criterion.root_causes.all()) for p in given.root_cause_positions):
        return "no such root cause"
    return ""


def _replace_ratings(
    review: Review,
    criteria: dict[str, Criterion],
    ratings: dict[str, RatingInput],
    conversation: Conversation,
) -> None:
    """Replace the review's ratings with these (validated) ones: the ratings, their root
    causes and their evidence each written in one statement, whatever the criteria."""
    seq_to_message = dict(conversation.messages.values_list("seq", "pk"))
    review.ratings.all().delete()
    made = []
    for code, given in ratings.items():
        criterion = criteria[code]
        if given.option_position is None and not given.na:
            continue
        option = None if given.na else criterion.options.all()[given.option_position]  # type: ignore[index]
        made.append((Rating.of(review, criterion, option, comment=given.comment), given))
    Rating.objects.bulk_create([rating for rating, _ in made])
    if any(rating.pk is None for rating, _ in made):  # SQLite before 3.35 returns no ids
        ids = dict(review.ratings.values_list("criterion_id", "pk"))
        for rating, _ in made:
            rating.pk = ids[rating.criterion_id]
    causes, evidence = Rating.root_causes.through, Rating.evidence.through
    causes.objects.bulk_create(
        causes(rating_id=rating.pk, rootcauseoption_id=cause.pk)
        for rating, given in made
        for cause in dict.fromkeys(
            rating.criterion.root_causes.all()[p] for p in given.root_cause_positions
        )
    )
    evidence.objects.bulk_create(
        evidence(rating_id=rating.pk, message_id=message)
        for rating, given in made
        for message in dict.fromkeys(
            seq_to_message[s] for s in given.evidence_seqs if s in seq_to_message
        )
    )


def acknowledge_review(*, review: Review, by: User) -> bool:
    """The reviewed agent says they have read the review (once: a second click changes
    nothing); the reviewer is told. Returns whether this call recorded it."""
    if not may_acknowledge(by, review):
        raise ReviewInvalid({"review": "only the reviewed agent can acknowledge their review"})
    with transaction.atomic():
        now = timezone.now()
        if not Review.objects.filter(pk=review.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now
        ):
            return False
        review.acknowledged_at = now
        record_event(actor=by, action="review.acknowledged", obj=review)
        if review.reviewer is not None:
            _tell(
                [review.reviewer],
                Kind.REVIEW_ACKNOWLEDGED,
                review,
                by,
                lambda about: f"{by.name} acknowledged your review of their {about}",
            )
    return True


# --- disputes ----------------------------------------------------------------------------------


def dispute_deadline(review: Review) -> Any:
    return review.submitted_at + timedelta(days=settings.SUPPORTQA_DISPUTE_DAYS)


def raise_dispute(
    *, review: Review, by: User, proposals: dict[str, RatingInput], reason: str
) -> Dispute:
    """The reviewed agent contests some ratings, proposing others; the review is disputed."""
    _check_disputable(review, by, reason)
    items = _dispute_items(review, proposals)
    with transaction.atomic():
        # Two clicks at once: the second waits for the first and finds the review disputed.
        review = Review.objects.select_for_update(of=("self",)).get(pk=review.pk)
        _check_disputable(review, by, reason)
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
        ratings = "1 rating" if len(items) == 1 else f"{len(items)} ratings"
        _tell(
            [*([review.reviewer] if review.reviewer else []), *arbiters_of(review.reviewee)],
            Kind.DISPUTE_RAISED,
            review,
            by,
            lambda about: f"{by.name} disputed {ratings} of the review of their {about}: decide it",
        )
    return dispute


def arbiters_of(agent: User) -> QuerySet[User]:
    """Who is told of an agent's disputes besides the reviewer: the leads of the agent's
    teams, or the managers when none of them has a lead."""
    leads = User.objects.filter(
        role=Role.LEAD,
        is_active=True,
        memberships__is_lead=True,
        memberships__team__memberships__user=agent,
    ).distinct()
    return leads if leads.exists() else User.objects.filter(role=Role.MANAGER, is_active=True)


def _check_disputable(review: Review, by: User, reason: str) -> None:
    if by.pk != review.reviewee_id:
        raise ReviewInvalid({"review": "only the reviewed agent can dispute it"})
    if review.status != ReviewStatus.SUBMITTED or not review.counts_toward_iqs:
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
    if problem := unstorable(reason):
        raise ReviewInvalid({"reason": problem})


def _dispute_items(review: Review, proposals: dict[str, RatingInput]) -> list[DisputeItem]:
    """One unsaved item per proposal, each naming a rated criterion and a different rating."""
    current = {r.criterion.code: r for r in review.ratings.select_related("criterion", "option")}
    criteria = _criteria(review.scorecard_version)
    items = []
    for code, proposal in proposals.items():
        criterion, rating = criteria.get(code), current.get(code)
        if criterion is None or rating is None:
            raise ReviewInvalid({code: "is not a rated criterion of this review"})
        proposed = proposed_option(code, criterion, proposal)
        if proposed == rating.option:
            raise ReviewInvalid({code: f"{criterion.name}: propose a different rating"})
        items.append(
            DisputeItem(
                criterion=criterion, previous_option=rating.option, proposed_option=proposed
            )
        )
    if not items:
        raise ReviewInvalid({"criteria": "choose at least one rating to dispute"})
    return items


def proposed_option(code: str, criterion: Criterion, proposal: RatingInput) -> Any:
    """The option the agent proposes (None for N/A), or ReviewInvalid naming the criterion."""
    if proposal.na:
        if not criterion.allow_na:
            raise ReviewInvalid({code: f"{criterion.name}: N/A is not allowed"})
        return None
    if proposal.option_position is None:
        raise ReviewInvalid({code: f"{criterion.name}: choose the rating you propose"})
    options = list(criterion.options.all())
    if not 0 <= proposal.option_position < len(options):
        raise ReviewInvalid({code: f"{criterion.name}: no such rating option"})
    return options[proposal.option_position]


def decide_dispute(*, dispute: Dispute, by: User, accepted: set[str], reason: str) -> Dispute:
    """Accept some, all or none of the proposals; accepted ones change the ratings and the
    score (the previous ratings stay on the dispute, the change in the audit log)."""
    if by.pk == dispute.raised_by_id:
        raise ReviewInvalid({"dispute": "the agent who raised it cannot decide it"})
    if not reason.strip():
        raise ReviewInvalid({"decision_reason": "give the reason for the decision"})
    with transaction.atomic():
        # Two deciders at once: the second waits for the lock and finds it decided.
        dispute = (
            Dispute.objects.select_for_update(of=("self",))
            .select_related(
                "raised_by", "review__reviewee", "review__reviewer", "review__conversation"
            )
            .get(pk=dispute.pk)
        )
        if dispute.status != Dispute.Status.OPEN:
            raise ReviewInvalid({"dispute": "is already decided"})
        review = dispute.review
        items = list(dispute.items.select_related("criterion", "proposed_option"))
        if any(item.criterion.code in accepted for item in items):
            keep_revision(review, by=by, reason=f"Dispute decided: {reason.strip()}")
        _apply_decision(review, items, accepted)
        review.status = ReviewStatus.FINAL
        review.save(update_fields=[*review.rescore(), "status", "updated_at"])
        dispute.status = _outcome(items)
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
        settle(kind=Kind.DISPUTE_RAISED, link=_link(review))
        outcome = (
            f"{dispute.get_status_display().lower()} "
            f"({_percent(dispute.score_before)} → {_percent(dispute.score_after)})"
        )
        agent = review.reviewee.name
        _tell(
            [dispute.raised_by, *([review.reviewer] if review.reviewer else [])],
            Kind.DISPUTE_DECIDED,
            review,
            by,
            lambda about: f"{by.name} decided the dispute on {agent}'s {about}: {outcome}",
        )
    return dispute


def _apply_decision(review: Review, items: list[DisputeItem], accepted: set[str]) -> None:
    """Mark each item accepted or not; an accepted proposal replaces the review's rating."""
    for item in items:
        item.accepted = item.criterion.code in accepted
        item.save(update_fields=["accepted"])
        if item.accepted:
            option = item.proposed_option
            review.ratings.filter(criterion=item.criterion).update(
                option=option, is_na=option is None, score=item.criterion.score_of(option)
            )


def _outcome(items: list[DisputeItem]) -> str:
    count = sum(1 for i in items if i.accepted)
    if count == 0:
        return Dispute.Status.REJECTED
    return Dispute.Status.ACCEPTED if count == len(items) else Dispute.Status.PARTIAL
