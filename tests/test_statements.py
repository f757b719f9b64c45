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


def test_what_cannot_be_keyed_soundly_has_no_key(cast):
    from django.db.models import CharField
    from django.db.models.functions import Cast

    assert key_of(Q(code=Cast("external_id", CharField(max_length=3)))) is None
    assert key_of(Q(agent_id__in=members_of([]))) is None  # a subquery that matches nothing
    assert key_of(Q(agent_id__in=Conversation.objects.none())) is None
    assert key_of(Q(agent__in=[cast.agent, cast.teammate])) is not None


def test_a_statement_is_kept_per_time_zone_and_not_when_its_key_moved(cast):
    from django.utils import timezone

    kept = Kept()
    built = []

    def build(slots):
        built.append(1)
        return Conversation.objects.values_list("code")

    kept.get("a", build)
    with timezone.override("Asia/Kolkata"):
        kept.get("a", build)
    kept.get("a", build)
    assert len(built) == 2
    kept.get("b", build, still=lambda: False)  # what the key names changed meanwhile
    kept.get("b", build, still=lambda: True)
    kept.get("b", build)
    kept.get(None, build)
    assert len(built) == 5
