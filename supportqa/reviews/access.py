from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.lookups import Exact, In

from supportqa.accounts.access import get_in_scope, led_team_ids, members_of
from supportqa.accounts.models import AGENT_ROLES, Organisation, Role, User
from supportqa.accounts.permissions import may_review
from supportqa.lookups import Unindexed
from supportqa.reviews.models import SCORED_STATUSES, Review, ReviewStatus, Source


def reviews_for(user: User) -> QuerySet[Review]:
    """Reviews a user may read. Drafts are visible only to their author. Neither condition
    narrows much (nearly every review is scored and not a calibration's), so on SQLite no
    index serves their status and source (lookups.Unindexed): its planner otherwise read
    every scored review through the status index, OR-ed with the reviewer's, where the
    caller's own condition (a few thousand conversations) was the selective one."""
    visible = Q(In(Unindexed("status"), SCORED_STATUSES)) | Q(reviewer=user)
    reviews = Review.objects.filter(visible).exclude(
        Q(Exact(Unindexed("source"), Source.CALIBRATION)) & ~Q(reviewer=user)
    )
    if user.is_org_wide:
        return reviews
    if user.role == Role.LEAD or user.role in AGENT_ROLES:
        return reviews.filter(reviewee_scope(user) | Q(reviewer=user))
    return reviews.none()


def conversation_reviews(user: User, conversation: Any, *, blind: bool = False) -> QuerySet[Review]:
    """The reviews of one conversation (its id, or a compiled statement's slot) the person may
    read, calibration sessions' apart; under blind review, before they submit, their own."""
    reviews = reviews_for(user).filter(
        conversation_id=conversation, calibration_session__isnull=True
    )
    return reviews.filter(reviewer=user) if blind else reviews


def reviewee_scope(user: User, field: str = "reviewee") -> Q:
    """Whose reviews the person may read (besides the ones they gave), as a condition on
    `field`: the reviewee, or `agent` on the daily rollups. Org-wide roles: everyone's.
    Leads: their teams' agents'. Agents and peers: their own."""
    if user.is_org_wide:
        return Q()
    if user.role == Role.LEAD:
        return Q(**{f"{field}_id__in": members_of(led_team_ids(user))})
    if user.role in AGENT_ROLES:
        return Q(**{field: user})
    return Q(pk__in=[])


def get_review_for_user(user: User, code: str) -> Review:
    reviews = reviews_for(user).select_related(
        "conversation", "reviewee", "reviewer", "scorecard_version__scorecard"
    )
    return get_in_scope(reviews, code, "review")


def review_source_for(user: User, conversation_agent_id: int | None) -> str | None:
    """The source a review by this user counts as, or None if they may not review it."""
    own = conversation_agent_id == user.pk
    if user.role in (Role.QA,):
        return None if own else Source.QA
    if user.role in (Role.LEAD, Role.MANAGER, Role.ADMIN):
        return None if own else Source.MANAGER
    if user.role == Role.PEER:
        return Source.SELF if own else Source.PEER
    if user.role == Role.AGENT:
        return Source.SELF if own else None
    return None


def blind_to(user: User) -> Q:
    """Under blind review (an organisation setting), the reviews a person does not see yet:
    others' reviews (AutoQA's too) of the conversations they may review (as
    `review_source_for` says) and have not reviewed themselves; nothing when it is off. The
    review page applies the same rule to one conversation (`reviews.views.blinded`)."""
    if not Organisation.current().blind_review:
        return Q(pk__in=[])
    if user.role in (Role.QA, Role.LEAD, Role.MANAGER, Role.ADMIN):
        reviewable = ~Q(conversation__agent=user)
    elif user.role == Role.PEER:
        reviewable = Q()
    elif user.role == Role.AGENT:
        reviewable = Q(conversation__agent=user)
    else:
        return Q(pk__in=[])
    done = Review.objects.filter(reviewer=user).exclude(status=ReviewStatus.DRAFT)
    return reviewable & ~Q(reviewer=user) & ~Q(conversation__in=done.values("conversation"))


def may_flag_autoqa(user: User, review: Review) -> bool:
    """AutoQA's ratings may be flagged as wrong by the reviewed agent and by the people who
    review (the review must be in their scope, which the caller's access helper checks)."""
    return (
        review.source == Source.AUTOQA
        and review.is_scored
        and (user.pk == review.reviewee_id or may_review(user))
    )


def may_acknowledge(user: User, review: Review) -> bool:
    """Only the reviewed agent acknowledges, and only a quality review (it counts toward IQS)."""
    return user.pk == review.reviewee_id and review.counts_toward_iqs
