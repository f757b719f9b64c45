from __future__ import annotations

from collections.abc import Hashable

from django.db.models import Q, QuerySet
from django.http import Http404

from supportqa.accounts.access import access_key, led_team_ids, members_of, team_ids
from supportqa.accounts.models import Role, User
from supportqa.conversations.models import SHOP_SOURCE, Conversation
from supportqa.statements import READS, TEXT, Slots, key_of, keyed


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
        teams = team_ids(user)
        return Q(agent=user) | Q(team_id__in=teams)
    if user.role == Role.AGENT:
        return Q(agent=user)
    return Q(pk__in=[])


def scope_key(user: User) -> Hashable | None:
    """`scope_of(user)` as a key of compiled reads, made once per user object (one
    request's, as `led_team_ids`): org-wide people share the empty condition's key; anyone
    else's scope is what their `access_key` says (it reads nothing else), so it is the key,
    and the condition is not compiled to make one (a lead's holds a subquery)."""
    if "_scope_key" not in user.__dict__:
        user.__dict__["_scope_key"] = (
            key_of(Q()) if user.is_org_wide else ("scope of", access_key(user))
        )
    return user.__dict__["_scope_key"]  # type: ignore[no-any-return]


def get_conversation_for_user(user: User, code: str) -> Conversation:
    """The conversation with this code in the person's scope, or a 404 (`get_in_scope`'s
    rule; compiled once per scope: every conversation page reads it)."""

    def build(slots: Slots) -> QuerySet[Conversation]:
        conversations = conversations_for(user).filter(code=slots("code", TEXT))
        return conversations.select_related("agent", "team", "category", "customer")

    found = READS.first(keyed("conversation in scope", scope_key(user)), build, code=code)
    if found is None:
        raise Http404("No such conversation")
    return found  # type: ignore[no-any-return]
