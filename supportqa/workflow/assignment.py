"""Who gets a request: the candidates for `core.assignment.pick`, read from the database."""

from __future__ import annotations

from django.db.models import Count, Max

from supportqa.accounts.models import AgentSkill, Role, User
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
    return [
        Candidate(
            p.pk,
            p.name,
            skills.get(p.pk, 0),
            loads.get(p.pk, 0),
            OPEN_REQUESTS_EACH,
            last[p.pk].timestamp() if last.get(p.pk) else 0.0,
        )
        for p in people
    ]


def choose(conversation: Conversation) -> Choice:
    category = conversation.category.name if conversation.category else "any category"
    return pick(candidates_for(conversation), category)
