"""Who may see whom. Every view calls these first; outside a user's scope objects are 404."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet
from django.http import Http404

from supportqa.accounts.models import AGENT_ROLES, ORG_WIDE_ROLES, Membership, Role, Team, User
from supportqa.statements import ID, READS, Slots

T = TypeVar("T", bound=Model)


def access_key(user: User) -> Hashable:
    """Everything a person's scope depends on: their id, role, whether they are active, and
    their teams (led or not). Every rule of who may see what (this module and the apps'
    `access` modules) reads the person through these alone, and their teams through
    `team_ids` and `led_team_ids`, which give this key's, so reads compiled once
    (`statements.READS`) within a person's scope are kept by this key. Read once per user
    object (one request's)."""
    key = user.__dict__.get("_access_key")
    if key is None:
        teams = tuple(
            sorted(
                READS.read(
                    "memberships",
                    lambda slots: Membership.objects.filter(user_id=slots("user", ID)).values_list(
                        "team_id", "is_lead"
                    ),
                    user=user.pk,
                )
            )
        )
        key = (user.pk, user.role, user.is_active, teams)
        user.__dict__["_access_key"] = key
        user.__dict__["_team_ids"] = [team for team, _lead in teams]
        user.__dict__["_led_team_ids"] = [team for team, lead in teams if lead]
    return key


def read_in_scope(
    user: User, name: str, build: Callable[[Slots], QuerySet[Any]], **values: Any
) -> list[Any]:
    """A read of what the person may see (`build` uses the rules here), compiled once per
    person and access (`access_key`: the same read on every visit of their pages) and run
    with `values` in its slots."""
    return READS.read((name, access_key(user)), build, **values)


def count_in_scope(
    user: User, name: str, build: Callable[[Slots], QuerySet[Any]], **values: Any
) -> int:
    """`read_in_scope`'s count (`Kept.count`)."""
    return READS.count((name, access_key(user)), build, **values)


def team_ids(user: User) -> list[int]:
    """The teams the person belongs to, led or not (`access_key`'s)."""
    if "_team_ids" not in user.__dict__:
        access_key(user)
    return list(user.__dict__["_team_ids"])


def led_team_ids(user: User) -> list[int]:
    """The teams the person leads, read once per user object (one request's: a lead's pages
    ask up to eight times), with their other teams (`access_key`)."""
    if "_led_team_ids" not in user.__dict__:
        access_key(user)
    return list(user.__dict__["_led_team_ids"])


def members_of(team_ids: list[int]) -> QuerySet[Membership]:
    """User ids of these teams' members, as a subquery: filtering through it (rather than
    joining memberships) never duplicates rows, so scoped querysets need no DISTINCT."""
    return Membership.objects.filter(team_id__in=team_ids).values("user_id")


def teams_for(user: User) -> QuerySet[Team]:
    """Teams whose dashboards the user may open: all for org-wide roles, led teams for leads."""
    if user.is_org_wide:
        return Team.objects.all()
    if user.role == Role.LEAD:
        return Team.objects.filter(pk__in=led_team_ids(user))
    return Team.objects.none()


def seeing_team(team: Team | None) -> QuerySet[User]:
    """The active people whose team pages include this team (`teams_for` the other way
    round): the org-wide roles, and its leads; for no team, the org-wide roles."""
    org_wide = Q(role__in=ORG_WIDE_ROLES)
    leads = Q(role=Role.LEAD, memberships__team=team, memberships__is_lead=True)
    return User.objects.filter(org_wide | leads if team is not None else org_wide,
                               is_active=True).distinct()  # fmt: skip


def leads_or_managers(team: Team | None) -> QuerySet[User]:
    """Who is told of a team's matter for its lead (a bad survey score, a real change on its
    charts): its active leads; when it has none (or for no team), the managers."""
    leads = seeing_team(team).filter(role=Role.LEAD) if team else User.objects.none()
    return leads if leads.exists() else seeing_team(team).filter(role=Role.MANAGER)


def agents_for(user: User) -> QuerySet[User]:
    """People whose agent pages the user may open."""
    agents = User.objects.filter(role__in=AGENT_ROLES, is_active=True)
    if user.is_org_wide:
        return agents
    if user.role == Role.LEAD:
        return agents.filter(pk__in=members_of(led_team_ids(user)))
    if user.role in AGENT_ROLES:
        return User.objects.filter(pk=user.pk)
    return User.objects.none()


def get_in_scope(objects: QuerySet[T], code: str, what: str) -> T:
    """The object with this public code among those in the person's scope, or a 404 (outside
    it, the object does not exist for them). Every `get_<x>_for_user` helper ends here."""
    found = objects.filter(code=code).first()
    if found is None:
        raise Http404(f"No such {what}")
    return found


def get_team_for_user(user: User, code: str) -> Team:
    return get_in_scope(teams_for(user), code, "team")


def get_agent_for_user(user: User, code: str) -> User:
    return get_in_scope(agents_for(user), code, "agent")
