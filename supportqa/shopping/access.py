"""Who sees which mystery shops: shoppers their own; the org-wide quality roles all."""

from __future__ import annotations

from django.db.models import QuerySet

from supportqa.accounts.access import get_in_scope
from supportqa.accounts.models import User
from supportqa.accounts.permissions import may_run_mystery_shopping, may_shop
from supportqa.shopping.models import Assignment


def assignments_for(user: User) -> QuerySet[Assignment]:
    if may_run_mystery_shopping(user):
        return Assignment.objects.all()
    if may_shop(user):
        return Assignment.objects.filter(shopper=user)
    return Assignment.objects.none()


def get_assignment_for_user(user: User, code: str) -> Assignment:
    return get_in_scope(
        assignments_for(user).select_related(
            "scenario__scorecard", "shopper", "conversation__agent", "conversation__team"
        ),
        code,
        "mystery shop",
    )
