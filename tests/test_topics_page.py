"""The topics page: topics of the customers' opening messages in scope, the one that surged
last week marked emerging, and the one never resolved marked a knowledge-base gap."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from supportqa.conversations.models import Conversation, Message
from supportqa.reports.staffing import this_monday
from tests.conftest import make_conversation

PHRASES = {
    "refund": "I want a refund for my order, it arrived broken",
    "password": "I cannot reset my password, the reset link does not work",
    "delivery": "Where is my delivery? The parcel tracking has not moved",
}


def _opened(cast, key: str, week: int, i: int, resolved: bool) -> None:
    monday = this_monday(timezone.now())
    at = monday - timedelta(weeks=week) + timedelta(days=i % 5, hours=10)
    conversation = make_conversation(cast.agent, cast.team, f"{key}-{week}-{i}", created=at)
    Message.objects.filter(conversation=conversation, seq=0).update(text=f"{PHRASES[key]} ({i})")
    Conversation.objects.filter(pk=conversation.pk).update(
        resolution_seconds=3600 if resolved else None
    )


def test_topics_emerging_and_gaps(cast):
    for week in range(1, 9):
        for i in range(4):
            _opened(cast, "refund", week, i, resolved=True)
            _opened(cast, "password", week, i, resolved=False)
        _opened(cast, "delivery", week, 0, resolved=True)
    for i in range(1, 15):  # last full week: delivery questions surge
        _opened(cast, "delivery", 1, i, resolved=True)
    page = cast.client(cast.lead).get(reverse("topics"), {"weeks": 8, "topics": 3})
    assert page.status_code == 200
    report = page.context["report"]
    assert len(report.rows) == 3
    rows = {k: r for r in report.rows for k in PHRASES if PHRASES[k] in r.examples[0][1]}
    assert rows["delivery"].growth.emerging and not rows["refund"].growth.emerging
    assert rows["password"].gap and not rows["refund"].gap
    assert rows["refund"].weekly == [4] * 8
    assert "emerging" in page.content.decode() and "gap candidate" in page.content.decode()


def test_too_few_conversations_and_bad_settings_are_said(cast):
    page = cast.client(cast.manager).get(reverse("topics"))
    assert page.status_code == 200 and "topics need at least 40 conversations" in (
        page.content.decode()
    )
    assert cast.client(cast.manager).get(reverse("topics"), {"weeks": 99}).status_code == 400


def test_a_window_larger_than_the_sample_is_read_by_sample_slots(cast, monkeypatch):
    """Past SAMPLE conversations in the window (counted from the rollups), only those of the
    first sample slots that hold about SAMPLE are read, and by the slots' index: at a million
    conversations counting the 8-week window and scanning it for every k-th id took 95 + 68 ms
    on PostgreSQL."""
    from django.db import connection

    from supportqa.conversations.access import conversations_for
    from supportqa.conversations.models import SAMPLE_SLOTS, SampleSlot
    from supportqa.reports import topics

    for week in range(1, 5):
        for i in range(15):
            _opened(cast, ("refund", "password", "delivery")[i % 3], week, i, resolved=i % 2 == 0)
    # About 40 of the 60: the count in the slots varies with the ids (other tests' rows move
    # the sequences), and topic discovery needs 20 texts; 20 read fewer than that one run in
    # many on PostgreSQL.
    monkeypatch.setattr(topics, "SAMPLE", 40)
    monkeypatch.setattr(topics, "MINIMUM_TEXTS", 5)
    end = this_monday(timezone.now())
    report = topics.topic_report(conversations_for(cast.manager), Q(), end, 4, 2)
    in_window = Conversation.objects.filter(
        created_at__gte=end - timedelta(weeks=4), created_at__lt=end
    ).values_list("pk", flat=True)
    slots = -(-SAMPLE_SLOTS * 40 // len(in_window))  # ceil: the slots holding about 40
    written = set(Message.objects.filter(author_kind="customer").values_list("conversation_id"))
    expected = [pk for pk in in_window if pk * 40503 % SAMPLE_SLOTS < slots and (pk,) in written]
    assert report.sampled and report.texts == len(expected) and 20 <= len(expected) < 60

    # As at a million conversations: statistics, and a window 100 times the sample (9 slots).
    # SQLite reads the slots' index (it did not while the expression's numbers were
    # parameters). PostgreSQL reads a table this small whole or by any other index whatever
    # the statistics and settings; at a million conversations it reads the slots' index only
    # (1.7 ms for 5,325 conversations; EXPLAIN ANALYZE on the bench/scale.py database).
    if connection.vendor == "postgresql":
        return
    window = Conversation.objects.alias(slot=SampleSlot("id")).filter(
        slot__in=range(9), created_at__gte=end - timedelta(weeks=4), created_at__lt=end
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Conversation._meta.db_table}")
        sql, params = window.order_by().values_list("pk").query.sql_with_params()
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "USING COVERING INDEX conversation_sample" in plan, plan


def test_the_rollups_count_the_window_the_page_samples_for_a_narrowed_scope(cast):
    """The sample's rate comes from the rollups' count of the window: for a lead who chose a
    team and a channel it is the count of the very conversations the page reads."""
    from supportqa.accounts.access import teams_for
    from supportqa.conversations.access import conversations_for, scope_of
    from supportqa.reports import rollups
    from supportqa.reports.forms import TopicForm
    from supportqa.reports.periods import Period

    end = this_monday(timezone.now())
    for week in range(1, 4):
        for i in range(6):
            _opened(cast, "refund", week, i, resolved=True)
            other = make_conversation(
                cast.other_agent, cast.other_team, f"o-{week}-{i}",
                created=end - timedelta(weeks=week, hours=i),
            )  # fmt: skip
            if i % 2:
                Conversation.objects.filter(pk=other.pk).update(channel="email")
    Conversation.objects.filter(external_id__startswith="refund-1-").update(channel="email")
    form = TopicForm({"weeks": 3, "team": cast.team.code, "channel": "chat"},
                     teams=teams_for(cast.lead))  # fmt: skip
    assert form.is_valid(), form.errors
    period = Period(end - timedelta(weeks=3), end)
    window = form.narrow(conversations_for(cast.lead)).filter(
        created_at__gte=period.start, created_at__lt=period.end
    )
    rollups.current(period)
    counted = rollups.grouped(
        rollups.CONVERSATIONS, scope_of(cast.lead) & form.condition(), period, ("day",)
    )
    everyone = Conversation.objects.filter(created_at__gte=period.start, created_at__lt=end)
    assert 0 < window.count() == rollups.total(counted.values())["volume"] < everyone.count()


def test_the_sample_keeps_about_5000_whatever_the_window():
    """How many slots are read, and past 2 × 5,000 conversations a slot how many of its ids are
    kept: about SAMPLE conversations' messages are read at any size."""
    from supportqa.conversations.models import SAMPLE_SLOTS
    from supportqa.reports.topics import SAMPLE, sampling

    assert SAMPLE == 5000
    assert sampling(0) == sampling(4999) == sampling(5001) == (SAMPLE_SLOTS, 1)  # no sample
    assert sampling(1_000_000) == (6, 1)  # 6/1024 of a million: 5,859
    assert sampling(5_120_000) == sampling(10_240_000) == (1, 1)
    assert sampling(20_000_000) == (1, 4)  # 19,531 in the slot, every 4th: 4,883
    # Slot 0, the one thinned, holds exactly the ids that are multiples of 1024.
    assert all((i * 40503 & 1023 == 0) == (i % 1024 == 0) for i in range(1, 50_000))
