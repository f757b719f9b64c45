from __future__ import annotations

from django.db.models import Q, QuerySet

from supportqa.accounts.access import get_in_scope, led_team_ids, members_of
from supportqa.accounts.models import Role, User
from supportqa.conversations.models import SHOP_SOURCE, Conversation


def conversations_for(user: User) -> QuerySet[Conversation]:
    """The conversations the person may see (`scope_of`); a mystery shop's record is shown
    on its assignment's page instead."""
    return Conversation.objects.filter(scope_of(user)).exclude(source=SHOP_SOURCE)


def scope_of(user: User) -> Q:
    """Whose work the person may see, as a condition on `agent` and `team`: the same on
    conversations, surveys and the daily rollups. Org-wide roles: everything. Leads: their
    teams' and their agents'. Peers: their own and their teams'. Agents: their own.
    Shoppers: none."""
    if user.is_org_wide:
        return Q()
    if user.role == Role.LEAD:
        teams = led_team_ids(user)
        return Q(team_id__in=teams) | Q(agent_id__in=members_of(teams))
    if user.role == Role.PEER:
        teams = list(user.memberships.values_list("team_id", flat=True))
        return Q(agent=user) | Q(team_id__in=teams)
    if user.role == Role.AGENT:
        return Q(agent=user)
    return Q(pk__in=[])


def get_conversation_for_user(user: User, code: str) -> Conversation:
    conversations = conversations_for(user).select_related("agent", "team", "category", "customer")
    return get_in_scope(conversations, code, "conversation")
