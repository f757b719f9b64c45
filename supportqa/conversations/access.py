from __future__ import annotations

from django.db.models import Q, QuerySet

from supportqa.accounts.access import get_in_scope, led_team_ids, members_of
from supportqa.accounts.models import Role, User
from supportqa.conversations.models import Conversation


def conversations_for(user: User) -> QuerySet[Conversation]:
    """Org-wide roles: everything. Leads: their teams' conversations and their agents'.
    Peers: their own and their teams'. Agents: their own. Shoppers: none."""
    conversations = Conversation.objects.all()
    if user.is_org_wide:
        return conversations
    if user.role == Role.LEAD:
        teams = led_team_ids(user)
        return conversations.filter(Q(team_id__in=teams) | Q(agent_id__in=members_of(teams)))
    if user.role == Role.PEER:
        teams = list(user.memberships.values_list("team_id", flat=True))
        return conversations.filter(Q(agent=user) | Q(team_id__in=teams))
    if user.role == Role.AGENT:
        return conversations.filter(agent=user)
    return conversations.none()


def get_conversation_for_user(user: User, code: str) -> Conversation:
    conversations = conversations_for(user).select_related("agent", "team", "category", "customer")
    return get_in_scope(conversations, code, "conversation")
