"""Who gets a request: the candidates for `core.assignment.pick`, read from the database."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Max
from django.utils import timezone

from supportqa.accounts.models import AgentSkill, Role, Shift, User
from supportqa.conversations.models import Conversation
from supportqa.core.assignment import Candidate, Choice, pick
from supportqa.workflow.models import Request

# Open requests one representative holds at most before others are chosen.
OPEN_REQUESTS_EACH = 20


def candidates_for(conversation: Conversation) -> list[Candidate]:
    """The active agents of the conversation's team (everyone's when it has none), with their
    skill in its category, their open requests and when they last got one."""
    people = User.objects.filter(role=Role.AGENT, is_active=True)
    if conversation.team_id:
        people = people.filter(memberships__team_id=conversation.team_id)
    people = list(people.distinct().order_by("pk"))
    ids = [p.pk for p in people]
    skills = (
        dict(
            AgentSkill.objects.filter(
                agent_id__in=ids, category_id=conversation.category_id
            ).values_list("agent_id", "level")
        )
        if conversation.category_id
        else {}
    )
    open_requests = Request.objects.filter(
        state=Request.State.OPEN, conversation__agent_id__in=ids
    ).values("conversation__agent_id")
    loads = dict(open_requests.annotate(n=Count("pk")).values_list("conversation__agent_id", "n"))
    last = dict(
        Request.objects.filter(conversation__agent_id__in=ids)
        .values("conversation__agent_id")
        .annotate(at=Max("created_at"))
        .values_list("conversation__agent_id", "at")
    )
    working = on_shift(ids)
    return [
        Candidate(
            p.pk,
            p.name,
            skills.get(p.pk, 0),
            loads.get(p.pk, 0),
            OPEN_REQUESTS_EACH,
            last[p.pk].timestamp() if last.get(p.pk) else 0.0,
            on_shift=working is None or p.pk in working,
        )
        for p in people
    ]


def on_shift(ids: list[int], at: datetime | None = None) -> set[int] | None:
    """Which of these agents work now; None when none of them has a shift recorded around
    now (shifts not kept: everyone counts as working)."""
    at = at or timezone.now()
    around = Shift.objects.filter(
        agent_id__in=ids, starts_at__lt=at + timedelta(days=7), ends_at__gt=at - timedelta(days=7)
    )
    if not around.exists():
        return None
    return set(around.filter(starts_at__lte=at, ends_at__gt=at).values_list("agent_id", flat=True))


def choose(conversation: Conversation) -> Choice:
    category = conversation.category.name if conversation.category else "any category"
    return pick(candidates_for(conversation), category)
