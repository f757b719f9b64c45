"""Reads compiled once (reports.statements): what a key tells apart, what a statement checks,
how many are kept."""

from __future__ import annotations

import pytest
from django.db.models import DateField, Q

from supportqa.accounts.access import members_of
from supportqa.conversations.models import Conversation
from supportqa.reports.statements import Kept, Slots, Statement, key_of


def test_conditions_that_compile_differently_have_different_keys(cast):
    keys = [
        key_of(Q()),
        key_of(Q(agent=cast.agent)),
        key_of(Q(agent=cast.teammate)),
        key_of(~Q(agent=cast.agent)),
        key_of(Q(team_id__in=[cast.team.pk])),
        key_of(Q(team_id__in=[cast.team.pk, cast.other_team.pk])),
        key_of(Q(team_id__in=[cast.team.pk]) | Q(agent_id__in=members_of([cast.team.pk]))),
        key_of(Q(team_id__in=[cast.team.pk]) | Q(agent_id__in=members_of([cast.other_team.pk]))),
        key_of(Q(team_id__in=[cast.team.pk]) & Q(agent_id__in=members_of([cast.team.pk]))),
    ]
    assert len(set(keys)) == len(keys)
    # The same condition built twice (a new subquery each time, as each request builds it).
    lead = Q(team_id__in=[cast.team.pk]) | Q(agent_id__in=members_of([cast.team.pk]))
    assert key_of(lead) == keys[6]
    assert key_of(Q(agent=cast.agent)) == keys[1]


def test_a_statement_runs_with_its_slots_values_and_refuses_a_lost_slot(cast):
    slots = Slots()
    created = slots("day", DateField())
    unused = Slots()
    unused("day", DateField())
    unused("lost", DateField())
    rows = Conversation.objects.filter(code=cast.conversation.code).values_list("code")
    with pytest.raises(ValueError, match="lost"):
        Statement.compile(rows, unused)
    later = Conversation.objects.filter(created_at__date__gte=created).values_list("code")
    statement = Statement.compile(later.order_by("code"), slots)
    day = cast.conversation.created_at.date()
    assert statement.rows({"day": day}) == list(
        Conversation.objects.filter(created_at__date__gte=day).order_by("code").values_list("code")
    )
    assert statement.rows({"day": day.replace(year=day.year + 1)}) == []


def test_the_least_recently_used_statements_are_dropped(cast):
    kept = Kept(size=2)
    built = []

    def build(slots):
        built.append(1)
        return Conversation.objects.values_list("code")

    for key in ("a", "b", "a", "c", "a", "b"):
        kept.get(key, build)
    assert len(kept) == 2
    assert len(built) == 4  # a, b, c, then b again (dropped when c came)
