"""Who sees a request and who may do each step: one rule, read by the engine, the pages and
the notifications."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from supportqa.accounts.models import Role, User
from supportqa.conversations.access import conversations_for
from supportqa.reviews.actions import arbiters_of
from supportqa.workflow.models import Request, StepKind, StepRecord, TemplateStep

# A step's role → the roles that may do it (besides the representative for "agent" steps).
# Approvals climb: a lead's gate may be decided by a manager or an admin too.
MAY_DO: dict[str, frozenset[str]] = {
    Role.AGENT: frozenset(),
    Role.QA: frozenset({Role.QA, Role.MANAGER, Role.ADMIN}),
    Role.LEAD: frozenset({Role.LEAD, Role.MANAGER, Role.ADMIN}),
    Role.MANAGER: frozenset({Role.MANAGER, Role.ADMIN}),
}


def person_from(key: str, **conditions: object) -> User | None:
    """The active account a form's choice names (its primary key as text), or None."""
    if not (key.isascii() and key.isdigit() and len(key) < 12):
        return None
    return User.objects.filter(pk=int(key), is_active=True, **conditions).first()


def requests_for(user: User) -> QuerySet[Request]:
    """The requests whose conversation the person may see (the conversation pages' rule)."""
    return Request.objects.filter(conversation__in=conversations_for(user))


def may_act(user: User, request: Request, step: TemplateStep) -> bool:
    """Whether the person may do or decide this step of this request now (it is the active
    step): `waiting_for`'s rule, for one request."""
    return waiting_for(user).filter(request_id=request.pk, step_id=step.pk).exists()


def actors_of(request: Request, step: TemplateStep) -> list[User]:
    """Who is told that a step waits for them: the representative for their steps; the
    leads of the representative's teams (the managers when none has a lead) for a lead's;
    the QA reviewers, or the managers, for theirs."""
    agent = request.conversation.agent
    if step.role == Role.AGENT:
        return [agent] if agent and agent.is_active else []
    if step.role == Role.LEAD and agent is not None:
        return list(arbiters_of(agent))
    roles = {Role.QA: [Role.QA], Role.MANAGER: [Role.MANAGER]}.get(step.role, [Role.MANAGER])
    return list(User.objects.filter(role__in=roles, is_active=True))


def waiting_for(user: User) -> QuerySet[StepRecord]:
    """The active steps of requests in the person's scope that they may do: their own as
    the representative, and those of the roles they may act for (MAY_DO). The one rule of
    who does what, read by the engine (`may_act`), the pages and the home page."""
    if not user.is_active:
        return StepRecord.objects.none()
    roles = [role for role, allowed in MAY_DO.items() if user.role in allowed]
    theirs = Q(step__role__in=roles) | Q(step__role=Role.AGENT, request__conversation__agent=user)
    # A gate after the request went into a management report is decided on the report (its
    # list and notification say so), not here.
    on_report = Q(
        step__kind=StepKind.APPROVAL,
        request__records__state=StepRecord.State.DONE,
        request__records__data__has_key="report",
    )
    return (
        StepRecord.objects.filter(state=StepRecord.State.ACTIVE, request__in=requests_for(user))
        .filter(theirs)
        .exclude(on_report)
        .select_related("step", "request__conversation__agent")
        .order_by("started_at")
    )
