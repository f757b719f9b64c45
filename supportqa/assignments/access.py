"""Which assignment cycles a person may see and run, and what waits in their queue."""

from __future__ import annotations

from django.db.models import QuerySet

from supportqa.accounts.access import count_in_scope, teams_for
from supportqa.accounts.models import Role, User
from supportqa.assignments.models import AssignmentCycle, AssignmentItem
from supportqa.conversations.access import conversations_for


def cycles_for(user: User) -> QuerySet[AssignmentCycle]:
    cycles = AssignmentCycle.objects.select_related("team")
    if user.is_org_wide:
        return cycles
    if user.role == Role.LEAD:
        return cycles.filter(team__in=teams_for(user))
    return cycles.none()


def waiting_items(user: User) -> QuerySet[AssignmentItem]:
    """The person's queue: items assigned to them not yet reviewed, that they may still open,
    soonest due first."""
    return AssignmentItem.objects.filter(
        assignment__reviewer=user,
        review__isnull=True,
        conversation__in=conversations_for(user),  # never list what they may not open
    ).order_by("assignment__due_at", "pk")


def queue_left(user: User) -> int:
    """How many items wait in the person's queue (`waiting_items`)."""
    return count_in_scope(user, "queue left", lambda slots: waiting_items(user).values("pk"))
