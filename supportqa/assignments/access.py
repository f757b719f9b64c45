"""Which assignment cycles a person may see and run."""

from __future__ import annotations

from django.db.models import QuerySet

from supportqa.accounts.access import teams_for
from supportqa.accounts.models import Role, User
from supportqa.assignments.models import AssignmentCycle


def cycles_for(user: User) -> QuerySet[AssignmentCycle]:
    cycles = AssignmentCycle.objects.select_related("team")
    if user.is_org_wide:
        return cycles
    if user.role == Role.LEAD:
        return cycles.filter(team__in=teams_for(user))
    return cycles.none()
