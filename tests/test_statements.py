"""Reads compiled once (supportqa.statements): what a key tells apart, what a statement checks,
how many are kept; model reads give what their querysets give."""

from __future__ import annotations

import threading

import pytest
from django.db.models import Count, DateField, Q

from supportqa.accounts.access import members_of
from supportqa.accounts.models import Team
from supportqa.conversations.models import Conversation, Message
from supportqa.statements import ID, TEXT, Kept, Read, Slots, Statement, key_of, keyed


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


# Model reads compiled once (Kept.read / Kept.first): what iterating the queryset gives.


def _messages(slots):
    return (
        Message.objects.filter(conversation_id=slots("conversation", ID))
        .select_related("author", "conversation")
        .order_by("seq")
    )


def test_a_read_gives_what_the_queryset_gives_and_compiles_once(cast, django_assert_num_queries):
    cast.conversation.messages.all().delete()
    for seq, text in enumerate(["Hello", "Hi, how can I help?"]):
        Message.objects.create(
            conversation=cast.conversation,
            seq=seq,
            author=cast.agent if seq else None,
            author_kind="agent" if seq else "customer",
            text=text,
            sent_at=cast.conversation.created_at,
        )
    kept = Kept()
    compiled = []
    real = Read.compile

    def counted(*args):
        compiled.append(1)
        return real(*args)

    Read.compile = counted
    try:
        first = kept.read("messages", _messages, conversation=cast.conversation.pk)
        with django_assert_num_queries(1):  # the related objects came with it
            again = kept.read("messages", _messages, conversation=cast.conversation.pk)
            assert [(m.text, m.author and m.author.username) for m in again] == [
                ("Hello", None),
                ("Hi, how can I help?", "agent"),
            ]
            assert {m.conversation.code for m in again} == {cast.conversation.code}
        other = kept.read("messages", _messages, conversation=cast.other_conversation.pk)
        cast.teammate_conversation.messages.all().delete()
        none = kept.read("messages", _messages, conversation=cast.teammate_conversation.pk)
    finally:
        Read.compile = real
    assert compiled == [1]
    assert [m.pk for m in first] == list(
        cast.conversation.messages.order_by("seq").values_list("pk", flat=True)
    )
    assert [m.pk for m in other] == list(
        cast.other_conversation.messages.order_by("seq").values_list("pk", flat=True)
    )
    assert other and none == []


def test_a_read_prefetches_and_gives_values_and_firsts(cast, django_assert_num_queries):
    kept = Kept()

    def teams(slots):
        return Team.objects.filter(pk=slots("team", ID)).prefetch_related("memberships")

    with django_assert_num_queries(2):  # the team, then its memberships
        (team,) = kept.read("team", teams, team=cast.team.pk)
        members = {m.user_id for m in team.memberships.all()}
    assert cast.agent.pk in members and cast.other_agent.pk not in members
    assert members == set(cast.team.memberships.values_list("user_id", flat=True))
    codes = kept.read(
        "codes",
        lambda slots: Conversation.objects.filter(agent_id=slots("agent", ID)).values_list(
            "code", flat=True
        ),
        agent=cast.agent.pk,
    )
    assert codes == [cast.conversation.code]
    by_code = kept.first(
        "by code",
        lambda slots: Conversation.objects.filter(code=slots("code", TEXT)),
        code=cast.other_conversation.code,
    )
    assert by_code == cast.other_conversation
    assert kept.first("by code", lambda slots: None, code="no-such-code") is None


def test_a_read_refuses_a_none_or_a_wrong_slot_and_runs_nothing_for_an_empty_one(
    cast, django_assert_num_queries
):
    kept = Kept()

    def by_agent(slots):
        return Conversation.objects.filter(agent_id=slots("agent", ID))

    with pytest.raises(ValueError, match="agent is None"):
        kept.read("by agent", by_agent, agent=None)
    with pytest.raises(ValueError, match="team"):
        kept.read("by agent", by_agent, agent=cast.agent.pk, team=cast.team.pk)
    with django_assert_num_queries(0):  # no one matches whatever the slot holds
        nobody = kept.read(
            "nobody",
            lambda slots: Conversation.objects.filter(agent_id=slots("agent", ID), pk__in=[]),
            agent=cast.agent.pk,
        )
    assert nobody == []
    built = []

    def unkept(slots):
        built.append(1)
        return by_agent(slots)

    kept.read(keyed("scope", None), unkept, agent=cast.agent.pk)
    kept.read(keyed("scope", None), unkept, agent=cast.agent.pk)
    assert built == [1, 1] and len(kept) == 2  # "by agent" and "nobody"


def test_a_read_kept_by_one_thread_runs_on_another_threads_connection(cast):
    from django.db import connection

    kept = Kept()
    by_code = lambda slots: Conversation.objects.filter(code=slots("code", TEXT))  # noqa: E731
    kept.read("by code", by_code, code=cast.conversation.code)
    seen = []

    def elsewhere():
        def spy(execute, sql, params, many, context):
            if "conversations_conversation" in sql:  # not the new connection's settings
                seen.append(sql)
            return execute(sql, params, many, context)

        try:
            with connection.execute_wrapper(spy):
                seen.append(kept.read("by code", by_code, code="none-such"))
        finally:
            connection.close()

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert len(seen) == 2 and seen[1] == []  # through the spy on that thread's connection


def test_a_conversation_is_read_within_each_persons_own_scope(cast):
    from django.http import Http404

    from supportqa.accounts.models import User
    from supportqa.conversations.access import get_conversation_for_user

    for _ in range(2):  # compiled, then kept: each scope its own
        for user, mine, not_mine in (
            (cast.agent, cast.conversation, cast.teammate_conversation),
            (cast.teammate, cast.teammate_conversation, cast.conversation),
            (cast.lead, cast.conversation, cast.other_conversation),
            (cast.manager, cast.other_conversation, None),
        ):
            user = User.objects.get(pk=user.pk)  # a request's user object
            assert get_conversation_for_user(user, mine.code) == mine
            if not_mine is not None:
                with pytest.raises(Http404):
                    get_conversation_for_user(user, not_mine.code)


def test_a_count_is_the_querysets_count_sliced_distinct_or_grouped(cast, django_assert_num_queries):
    kept = Kept()

    def by_team(slots):
        return Conversation.objects.filter(team_id=slots("team", ID)).values("pk")

    for team in (cast.team, cast.other_team):
        assert kept.count("by team", by_team, team=team.pk) == by_team_count(team)
    nowhere = max(Team.objects.values_list("pk", flat=True)) + 1
    assert kept.count("by team", by_team, team=nowhere) == 0
    grouped = Conversation.objects.values("agent").annotate(n=Count("pk"))
    assert kept.count("agents with conversations", lambda slots: grouped) == grouped.count() > 1
    agents = Conversation.objects.values("agent").distinct()
    assert kept.count("distinct agents", lambda slots: agents) == agents.count() > 1
    every = Conversation.objects.count()
    assert kept.count("capped", lambda slots: Conversation.objects.values("pk")[:2]) == 2 < every
    with django_assert_num_queries(0):  # a condition that matches nothing is not run
        assert kept.count("none", lambda slots: Conversation.objects.filter(pk__in=[])) == 0


def by_team_count(team):
    return Conversation.objects.filter(team=team).count()


def test_a_read_keeps_no_connection_and_refuses_a_related_managers_queryset(cast):
    slots = Slots()
    read = Read.compile(Conversation.objects.filter(code=slots("code", TEXT)), slots)
    assert read.compiler.connection is None  # each run takes its own thread's
    assert read.run({"code": cast.conversation.code}) == [cast.conversation]
    with pytest.raises(ValueError, match="related"):
        Read.compile(cast.agent.conversations.all(), Slots())


def test_a_peers_scope_is_the_one_their_key_names(cast):
    """A person's teams are read once per request (`access_key`), and the scope built in that
    request uses those same teams: a statement is never kept under a key that names other
    teams than the ones it was built with."""
    from supportqa.accounts.access import access_key
    from supportqa.accounts.models import Membership, User
    from supportqa.conversations.access import conversations_for

    peer = User.objects.get(pk=cast.peer.pk)
    before = access_key(peer)
    Membership.objects.create(user=peer, team=cast.other_team)
    assert not conversations_for(peer).filter(pk=cast.other_conversation.pk).exists()
    fresh = User.objects.get(pk=cast.peer.pk)  # the next request's
    assert access_key(fresh) != before
    assert conversations_for(fresh).filter(pk=cast.other_conversation.pk).exists()
