"""Mystery shopping's writes: assigning a shop, and recording one (the contact and its
evaluation, a review of source mystery shop), each in one transaction."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from supportqa.accounts.models import AGENT_ROLES, Membership, Role, User
from supportqa.audit.actions import record_event
from supportqa.conversations.models import SHOP_SOURCE, AuthorKind, Conversation, Message
from supportqa.notifications.actions import notify
from supportqa.notifications.models import Kind
from supportqa.reviews.actions import RatingInput, ReviewInvalid, save_review
from supportqa.reviews.models import Review, Source
from supportqa.shopping.models import Assignment, Scenario


class ShopError(Exception):
    """A mystery-shopping action refused; `errors` maps a field to its reason."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def targets(scenario: Scenario) -> QuerySet[User]:
    """The active agents a scenario targets: its agents and its teams' members; every agent
    when it names neither."""
    agents = User.objects.filter(role__in=AGENT_ROLES, is_active=True)
    team_ids = list(scenario.teams.values_list("pk", flat=True))
    agent_ids = list(scenario.agents.values_list("pk", flat=True))
    if not team_ids and not agent_ids:
        return agents
    members = Membership.objects.filter(team_id__in=team_ids).values("user_id")
    return agents.filter(Q(pk__in=agent_ids) | Q(pk__in=members))


def assign(*, scenario: Scenario, shopper: User, due: date, by: User) -> Assignment:
    """Give a shopper a scenario to do by `due`; the shopper is told."""
    errors = {}
    if shopper.role != Role.SHOPPER or not shopper.is_active:
        errors["shopper"] = "choose an active mystery shopper"
    if not scenario.active:
        errors["scenario"] = "the scenario is not in use"
    if due < timezone.localdate():
        errors["due"] = "the due date is in the past"
    if errors:
        raise ShopError(errors)
    with transaction.atomic():
        assignment = Assignment.objects.create(
            scenario=scenario, shopper=shopper, due=due, created_by=by
        )
        record_event(actor=by, action="shop.assigned", obj=assignment,
                     data={"scenario": scenario.code, "shopper": shopper.code})  # fmt: skip
        notify(
            users=[shopper],
            kind=Kind.SHOP_ASSIGNED,
            text=f"Mystery shop “{scenario.name}” by {due:%d %b %Y}",
            link=reverse("shop-detail", args=[assignment.code]),
            actor=by,
        )
    return assignment


def record_shop(
    *,
    assignment: Assignment,
    by: User,
    happened_at: datetime | None,
    agent: User | None,
    notes: str,
    ratings: dict[str, RatingInput],
    overall_comment: str = "",
) -> Review:
    """The shopper records the contact (when, the agent met, transcript or notes) and fills in
    the scenario's evaluation form; all of it or nothing. The contact becomes a conversation
    of its own source (kept out of operational figures) and the evaluation its review."""
    scenario = assignment.scenario
    errors = {}
    if by.pk != assignment.shopper_id:
        errors["shopper"] = "only the assigned shopper records this shop"
    if assignment.state != Assignment.State.ASSIGNED:
        errors["assignment"] = f"this shop is {assignment.get_state_display().lower()}"
    if happened_at is None:
        errors["happened_at"] = "say when the contact took place"
    elif happened_at > timezone.now() + timedelta(minutes=5):
        errors["happened_at"] = "is in the future"
    elif happened_at < timezone.now() - timedelta(days=366):
        errors["happened_at"] = "is more than a year ago"
    if agent is None or not targets(scenario).filter(pk=agent.pk).exists():
        errors["agent"] = "choose the agent you met among the scenario's agents"
    if not notes.strip():
        errors["notes"] = "write the transcript or your notes of the contact"
    version = scenario.scorecard.current_version()
    if version is None:
        errors["scorecard"] = "the scenario's evaluation form has no published version"
    if errors:
        raise ShopError(errors)
    assert agent is not None and happened_at is not None and version is not None
    membership = agent.memberships.order_by("is_lead", "pk").first()
    try:
        with transaction.atomic():
            locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
            if locked.state != Assignment.State.ASSIGNED:
                raise ShopError({"assignment": "this shop was recorded a moment ago"})
            conversation = Conversation.objects.create(
                source=SHOP_SOURCE,
                external_id=locked.code,
                channel=scenario.channel,
                subject=f"Mystery shop: {scenario.name}",
                agent=agent,
                team_id=membership.team_id if membership else None,
                created_at=happened_at,
                message_count=1,
            )
            Message.objects.create(
                conversation=conversation,
                seq=0,
                author_kind=AuthorKind.NOTE,
                author=by,
                author_name=by.name,
                sent_at=happened_at,
                text=notes.strip(),
            )
            review = save_review(
                conversation=conversation,
                reviewer=by,
                source=Source.MYSTERY_SHOP,
                version=version,
                ratings=ratings,
                overall_comment=overall_comment,
                submit=True,
            )
            locked.state, locked.done_at = Assignment.State.DONE, timezone.now()
            locked.conversation = conversation
            locked.save(update_fields=["state", "done_at", "conversation"])
    except ReviewInvalid as invalid:
        raise ShopError(invalid.errors) from invalid
    return review
