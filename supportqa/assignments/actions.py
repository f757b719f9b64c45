from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from supportqa.accounts.models import ORG_WIDE_ROLES, Membership, Role, Team, User
from supportqa.accounts.permissions import holders, may_review
from supportqa.assignments.models import (
    Assignment,
    AssignmentCycle,
    AssignmentItem,
    CycleReviewer,
    Design,
    Target,
)
from supportqa.audit.actions import record_event
from supportqa.conversations.models import (
    SHOP_SOURCE,
    AuthorKind,
    Conversation,
    Message,
    first_reply_against_target,
)
from supportqa.core.sampling import (
    random_sample,
    split_fairly,
    stratified_sample,
    targeted_sample,
)
from supportqa.core.sentiment import NEGATIVE_BELOW, sentiment
from supportqa.notifications.actions import notify
from supportqa.notifications.models import Kind
from supportqa.reviews.models import Review
from supportqa.reviews.signals import review_submitted
from supportqa.surveys.models import SATISFIED, SurveyResponse

LONG_RESOLUTION_SECONDS = 24 * 3600


def eligible_reviewers(team: Team | None) -> QuerySet[User]:
    """Reviewers who may open every conversation a cycle of this team (None: every team)
    samples: the inverse of `conversations_for` (org-wide roles see every team, leads their
    led teams, peers their own teams). tests/test_assignments.py checks the two agree."""
    scope = Q(role__in=ORG_WIDE_ROLES)
    if team is not None:
        led = Membership.objects.filter(team=team, is_lead=True).values("user_id")
        members = Membership.objects.filter(team=team).values("user_id")
        scope |= Q(role=Role.LEAD, pk__in=led) | Q(role=Role.PEER, pk__in=members)
    return holders(may_review).filter(scope)


def candidates(cycle: AssignmentCycle, now: datetime) -> Any:
    """The period's conversations with an agent, not yet reviewed nor waiting in a queue."""
    reviewed = Review.objects.counting_toward_iqs().filter(conversation=OuterRef("pk"))
    queued = AssignmentItem.objects.filter(conversation=OuterRef("pk"), review__isnull=True)
    rows = (
        Conversation.objects.filter(
            created_at__gte=now - timedelta(days=cycle.every_days),
            created_at__lt=now,
            agent__isnull=False,
        )
        .exclude(source=SHOP_SOURCE)
        .exclude(Exists(reviewed))
        .exclude(Exists(queued))
    )
    return rows.filter(team=cycle.team) if cycle.team_id else rows


def spotlight(rows: Any, targets: list[str]) -> dict[int, str]:
    """Conversation id → the first spotlight rule it meets."""
    rules = {
        Target.LOW_CSAT: Q(
            Exists(
                SurveyResponse.objects.filter(
                    conversation=OuterRef("pk"), csat__isnull=False
                ).exclude(SATISFIED)
            )
        ),
        Target.REOPENED: Q(reopen_count__gt=0),
        Target.LONG_RESOLUTION: Q(resolution_seconds__gt=LONG_RESOLUTION_SECONDS),
        Target.SLOW_FIRST_RESPONSE: first_reply_against_target()[1],
    }
    rules[Target.ESCALATED] = Q(tags__icontains="escalat")  # "escalated", "escalation"
    flagged: dict[int, str] = {}
    for target in targets:
        if target == Target.NEGATIVE_SENTIMENT:
            matching: Any = ending_negative(rows)
        else:
            matching = rows.filter(rules[Target(target)]).values_list("pk", flat=True)
        for pk in matching:
            flagged.setdefault(pk, target)
    return flagged


def ending_negative(rows: Any) -> list[int]:
    """Conversations whose last customer message reads negative (VADER ≤ −0.05)."""
    last: dict[int, str] = {}
    for conversation_id, text in (
        Message.objects.filter(conversation__in=rows, author_kind=AuthorKind.CUSTOMER)
        .order_by("conversation_id", "-seq")
        .values_list("conversation_id", "text")
    ):
        last.setdefault(conversation_id, text)
    return sorted(pk for pk, text in last.items() if sentiment(text) <= NEGATIVE_BELOW)


def create_cycle(
    *,
    by: User,
    name: str,
    team: Team | None,
    design: str,
    sample_size: int,
    targets: list[str],
    every_days: int,
    quotas: dict[User, int],
) -> AssignmentCycle:
    """Set up a recurring review programme, due at once; reviewers with no quota are left out."""
    with transaction.atomic():
        cycle = AssignmentCycle.objects.create(
            name=name,
            team=team,
            design=design,
            sample_size=sample_size,
            targets=targets,
            every_days=every_days,
            created_by=by,
            next_run_at=timezone.now(),
        )
        CycleReviewer.objects.bulk_create(
            CycleReviewer(cycle=cycle, reviewer=reviewer, quota=quota)
            for reviewer, quota in quotas.items()
            if quota
        )
        record_event(
            actor=by,
            action="assignments.cycle_created",
            obj=cycle,
            data={"design": design, "reviewers": sum(1 for q in quotas.values() if q)},
        )
    return cycle


def run_cycle(*, cycle: AssignmentCycle, now: datetime, by: Any = None) -> list[Assignment]:
    """Sample this period's conversations by the cycle's design (each pick keeps its inclusion
    probability) and split them fairly among the reviewers' quotas; atomic."""
    rng = random.Random(f"{cycle.seed}-{cycle.code}-{now:%Y%m%d%H}")
    with transaction.atomic():
        rows = candidates(cycle, now)
        agents = dict(rows.values_list("pk", "agent_id"))
        picks, reasons = _sample(cycle, rows, agents, rng)
        quotas = {
            cr.reviewer_id: cr.quota
            for cr in CycleReviewer.objects.filter(
                cycle=cycle, quota__gt=0, reviewer__in=eligible_reviewers(cycle.team)
            ).order_by("pk")
        }
        given = split_fairly([(pk, agents[pk]) for pk, _ in picks], quotas)
        probability = dict(picks)
        created = []
        for reviewer_id, items in given.items():
            if not items:
                continue
            assignment = Assignment.objects.create(
                cycle=cycle, reviewer_id=reviewer_id, due_at=now + timedelta(days=cycle.every_days)
            )
            AssignmentItem.objects.bulk_create(
                AssignmentItem(
                    assignment=assignment,
                    conversation_id=pk,
                    method=cycle.design,
                    reason=reasons.get(pk, ""),
                    inclusion_probability=probability[pk],
                )
                for pk in items
            )
            created.append(assignment)
            notify(
                users=[assignment.reviewer],
                kind=Kind.ASSIGNMENT_RECEIVED,
                text=f"{len(items)} conversation{'' if len(items) == 1 else 's'} to review "
                f"in {cycle.name}, due {assignment.due_at:%d %b %Y}",
                link=reverse("queue"),
            )
        cycle.next_run_at = now + timedelta(days=cycle.every_days)
        cycle.save(update_fields=["next_run_at"])
        record_event(
            actor=by,
            action="assignments.cycle_run",
            obj=cycle,
            data={"picked": len(picks), "assigned": sum(len(v) for v in given.values())},
        )
    return created


def _sample(
    cycle: AssignmentCycle, rows: Any, agents: dict[int, int], rng: random.Random
) -> tuple[list[tuple[int, float]], dict[int, str]]:
    ids = sorted(agents)
    if cycle.design == Design.STRATIFIED:
        strata: dict[int, list[int]] = defaultdict(list)
        for pk in ids:
            strata[agents[pk]].append(pk)
        picks = stratified_sample(strata, cycle.sample_size, rng)
        return [(int(pk), p) for pk, p in picks], {}
    if cycle.design == Design.TARGETED:
        flagged = spotlight(rows, list(cycle.targets))
        others = [pk for pk in ids if pk not in flagged]
        picks = targeted_sample(sorted(flagged), others, cycle.sample_size, rng)
        return [(int(pk), p) for pk, p in picks], flagged
    return [(int(pk), p) for pk, p in random_sample(ids, cycle.sample_size, rng)], {}


def run_due_cycles(*, now: datetime) -> int:
    due = AssignmentCycle.objects.filter(is_active=True, next_run_at__lte=now)
    return sum(len(run_cycle(cycle=cycle, now=now)) for cycle in due)


@receiver(review_submitted)
def link_review(sender: Any, review: Review, **_: Any) -> None:
    """A submitted review of a queued conversation closes the item and takes its inclusion
    probability, so IQS can weight it (Horvitz–Thompson). Runs inside the review's
    transaction, before it is saved."""
    item = (
        AssignmentItem.objects.select_for_update()
        .filter(
            conversation_id=review.conversation_id,
            assignment__reviewer_id=review.reviewer_id,
            review__isnull=True,
        )
        .first()
    )
    if item is None:
        return
    item.review = review
    item.save(update_fields=["review"])
    review.inclusion_probability = item.inclusion_probability
