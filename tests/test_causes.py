"""Why we fail: the root-cause Pareto and the contact reasons equal counts over the raw rows,
stay in the person's scope, and each row opens exactly the conversations behind it."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from supportqa.conversations.models import Category, Conversation
from supportqa.reviews.models import Rating
from supportqa.scorecards.models import Criterion
from tests.conftest import chat_rubric, full_ratings, make_conversation, submitted_review


def _criterion(key: str) -> Criterion:
    return Criterion.objects.get(section__version=chat_rubric(), key=key)


def _tagged_review(conversation, reviewer, causes: dict[str, list[int]]):
    """A review rating every criterion "Below" (position 2), tagging these cause positions."""
    ratings = full_ratings(chat_rubric(), position=2)
    for key, positions in causes.items():
        ratings[_criterion(key).code].root_cause_positions = positions
    return submitted_review(conversation, reviewer, ratings=ratings)


@pytest.fixture
def tagged(cast):
    """Team A: 'Closed too early' three times, 'Queue overload' twice (once with 'Agent
    distracted' on the same rating), on four conversations; Team B: 'Rude or curt' once."""
    mine = [make_conversation(cast.agent, cast.team, f"t{i}") for i in range(4)]
    _tagged_review(mine[0], cast.qa, {"follow-up": [0], "response-time": [0, 1]})
    _tagged_review(mine[1], cast.qa, {"follow-up": [0]})
    _tagged_review(mine[2], cast.qa, {"follow-up": [0], "response-time": [0]})
    submitted_review(mine[3], cast.qa, position=0)  # nothing tagged
    _tagged_review(cast.other_conversation, cast.qa, {"tone": [0]})
    return mine


def test_the_pareto_counts_each_tag_once_per_rating_largest_first(cast, tagged):
    page = cast.client(cast.manager).get(reverse("cause-list"))
    rows = [row for row, _ in page.context["rows"]]
    links = Rating.root_causes.through.objects.values_list(
        "rating__criterion__name", "rootcauseoption__label"
    )
    expected = Counter(f"{criterion}: {label}" for criterion, label in links)
    assert {r.label: r.count for r in rows} == expected
    assert [r.label for r in rows][:2] == [
        "Follow-Up: Closed too early",
        "Response Time: Queue overload",
    ]
    assert rows[0].count == 3 and rows[-1].cumulative == pytest.approx(100.0)
    assert page.context["total"] == sum(expected.values()) == 7


def test_a_lead_sees_the_causes_of_their_teams_only(cast, tagged):
    rows = cast.client(cast.lead).get(reverse("cause-list")).context["rows"]
    assert "Tone and Professionalism: Rude or curt" not in [row.label for row, _ in rows]
    other_team = cast.client(cast.lead).get(reverse("cause-list"), {"team": cast.other_team.code})
    assert other_team.status_code == 200  # a team outside the scope is not a choice: no filter
    assert "Rude or curt" not in other_team.content.decode()


def test_only_counted_reviews_in_the_persons_scope_count(cast, tagged):
    """Causes tagged in reviews that do not count toward IQS (a draft, AutoQA's, one moved to
    a calibration source) are left out for everyone; a review of a lead's team's conversation
    whose reviewee is outside their teams counts for the manager, not for the lead."""
    from supportqa.reviews.actions import save_review
    from supportqa.reviews.models import Review, Source

    def totals() -> tuple[int, int]:
        return tuple(  # type: ignore[return-value]
            cast.client(who).get(reverse("cause-list")).context["total"]
            for who in (cast.manager, cast.lead)
        )

    before = totals()
    assert before == (7, 6)  # the lead: Team A's six tags, not Team B's one
    extra = [make_conversation(cast.agent, cast.team, f"x{i}") for i in range(4)]
    ratings = full_ratings(chat_rubric(), position=2)
    ratings[_criterion("follow-up").code].root_cause_positions = [0]
    save_review(
        conversation=extra[0], reviewer=cast.qa, source=Source.QA, version=chat_rubric(),
        ratings=ratings, submit=False,
    )  # fmt: skip
    automatic = _tagged_review(extra[1], cast.qa, {"follow-up": [0]})
    Review.objects.filter(pk=automatic.pk).update(source=Source.AUTOQA)
    calibrating = _tagged_review(extra[2], cast.qa, {"follow-up": [0]})
    Review.objects.filter(pk=calibrating.pk).update(source=Source.CALIBRATION)
    assert totals() == before
    elsewhere = _tagged_review(extra[3], cast.qa, {"follow-up": [0]})
    Review.objects.filter(pk=elsewhere.pk).update(reviewee=cast.other_agent)
    assert totals() == (before[0] + 1, before[1])


def test_a_root_cause_opens_exactly_the_conversations_it_was_tagged_on(cast, tagged):
    client = cast.client(cast.manager)
    rows = dict(
        (row.label, link) for row, link in client.get(reverse("cause-list")).context["rows"]
    )
    listing = client.get(rows["Response Time: Queue overload"])
    shown = {c.external_id for c in listing.context["page"].object_list}
    assert shown == {"t0", "t2"}
    assert "drop this root cause" in listing.content.decode()
    narrowed = client.get(reverse("cause-list"), {"criterion": "follow-up"}).context["rows"]
    assert [row.label for row, _ in narrowed] == ["Follow-Up: Closed too early"]
    bad = client.get(reverse("conversation-list"), {"cause": "no-separator"})
    assert bad.status_code == 400
    assert "use a root cause link" in bad.content.decode()


def test_the_pareto_downloads_as_csv_with_intervals(cast, tagged):
    response = cast.client(cast.manager).get(reverse("cause-list"), {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert table[0]["root_cause"] == "Follow-Up: Closed too early"
    assert table[0]["count"] == "3" and table[0]["rank"] == "1"
    assert (
        float(table[0]["share_low"])
        < float(table[0]["share_percent"])
        < float(table[0]["share_high"])
    )
    assert table[-1]["cumulative_percent"] == "100.0"


def test_contact_reasons_count_the_period_and_the_one_before(cast):
    category = Category.objects.first()
    now = timezone.now()
    for i in range(3):
        make_conversation(cast.agent, cast.team, f"now{i}", created=now - timedelta(days=5 + i))
    make_conversation(cast.agent, cast.team, "before", created=now - timedelta(days=100))
    Conversation.objects.filter(external_id="now0").update(resolution_seconds=7200)
    page = cast.client(cast.manager).get(reverse("cause-list"))
    (reason, link), *_ = [r for r in page.context["reasons"] if r[0].category == category.name]
    in_period = Conversation.objects.filter(
        category=category, created_at__gte=now - timedelta(days=90)
    )
    assert reason.volume == in_period.count()
    assert reason.previous == 1
    resolved = in_period.filter(resolution_seconds__isnull=False)
    assert reason.resolved.n == reason.volume and reason.fcr.n == resolved.count()
    assert reason.mean_resolution_hours == pytest.approx(
        sum(resolved.values_list("resolution_seconds", flat=True)) / resolved.count() / 3600
    )
    assert f"category={category.code}" in link


def test_contact_reasons_follow_the_channel_filter_and_the_one_survey_population(cast):
    """From the daily rollups: the chosen channel only; CSAT of the surveys about the
    period's conversations (an answer given now about an old conversation does not count)."""
    from supportqa.surveys.models import SurveyResponse, SurveySent

    category = Category.objects.first()
    now = timezone.now()
    chats = [make_conversation(cast.agent, cast.team, f"c{i}", created=now - timedelta(days=3 + i))
             for i in range(3)]  # fmt: skip
    mail = make_conversation(cast.agent, cast.team, "m", created=now - timedelta(days=2))
    Conversation.objects.filter(pk=mail.pk).update(channel="email")
    old = make_conversation(cast.agent, cast.team, "old", created=now - timedelta(days=200))
    for i, conversation in enumerate([*chats[:2], old]):
        sent = SurveySent.objects.create(
            conversation=conversation, agent=cast.agent, team=cast.team, sent_at=now
        )
        SurveyResponse.objects.create(
            source="t", external_id=f"s{i}", survey=sent, conversation=conversation,
            agent=cast.agent, team=cast.team, csat=5 if i == 0 else 1, answered_at=now,
        )  # fmt: skip
    page = cast.client(cast.manager).get(reverse("cause-list"), {"channel": "chat", "days": "90"})
    reason = next(r for r, _ in page.context["reasons"] if r.category == category.name)
    in_period = Conversation.objects.filter(
        category=category, channel="chat", created_at__gte=now - timedelta(days=90)
    )
    assert reason.volume == in_period.count()
    assert (reason.csat.n, reason.csat.value) == (2, pytest.approx(50.0))


def test_the_pareto_counts_the_conversations_of_the_period_and_the_filter_only(cast, tagged):
    """Reviews are counted by their conversation: one created before the period, or outside
    the chosen team, leaves the Pareto."""
    old = make_conversation(
        cast.agent, cast.team, "old", created=timezone.now() - timedelta(days=120)
    )
    _tagged_review(old, cast.qa, {"tone": [0]})
    client = cast.client(cast.manager)
    rows = client.get(reverse("cause-list")).context["rows"]
    counts = {row.label: row.count for row, _ in rows}
    assert counts["Tone and Professionalism: Rude or curt"] == 1
    assert sum(counts.values()) == 7
    mine = client.get(reverse("cause-list"), {"team": cast.team.code}).context["rows"]
    assert "Tone and Professionalism: Rude or curt" not in [row.label for row, _ in mine]
    assert sum(row.count for row, _ in mine) == 6


# sqlite_stat1 of the reviews and the tables the Pareto joins, as the app's own ANALYZE
# (analysis_limit 1000, supportqa.bulk) left them at 1,000,000 conversations (bench/scale.py,
# 2026-12-02): ~1M AutoQA reviews, ~20,000 people's, a few in calibration sessions.
STATS_AT_A_MILLION = {
    "reviews_review": {
        "review_reviewee_source": "597550 167 48 5",
        "reviews_rev_source_09f570_idx": "887250 667 667 2",
        "one_calibration_review_each": "15 15 3 1",
        "one_review_each": "1255746 2 1 1 1",
        "reviews_rev_status_8107f1_idx": "898128 1001 1",
        "reviews_rev_reviewe_f98f0c_idx": "795056 167 167 4",
        "reviews_review_scorecard_version_id_64a63728": "1079440 1001",
        "reviews_review_reviewer_id_29fc8a19": "1051830 1001",
        "reviews_review_reviewee_id_5d71172e": "1143180 167",
        "reviews_review_conversation_id_27ecd95e": "1252216 2",
        # Only when the index exists (before reviews migration 0008): its NULLs read as
        # ~500 reviews a key.
        "reviews_review_calibration_session_id_cf1485e3": "1176791 508",
    },
    "reviews_rating": {"rating_by_review": "9323640 8 1 1 1 1"},
    "reviews_rating_root_causes": {"reviews_rating_root_causes_rating_id_c35732a5": "686 1"},
    "conversations_conversation": {"conversation_created": "916300 1 1 1 1 1"},
}


def plan_at_a_million(sql: str, params: Any) -> list[str]:
    """SQLite's plan of a statement under STATS_AT_A_MILLION (its existing indexes'), the
    statistics removed again after."""
    from django.db import connection

    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, "reviews_review")
        indexes = {name for name, about in found.items() if about["index"]}
        cursor.execute("ANALYZE")  # creates sqlite_stat1
        try:
            for table, rows in STATS_AT_A_MILLION.items():
                cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = %s", [table])
                for index, stat in rows.items():
                    if table != "reviews_review" or index in indexes:
                        cursor.execute(
                            "INSERT INTO sqlite_stat1 VALUES (%s, %s, %s)", [table, index, stat]
                        )
            cursor.execute("ANALYZE sqlite_schema")  # the planner reads them again
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            return [row[3] for row in cursor.fetchall()]
        finally:
            cursor.execute("DELETE FROM sqlite_stat1")
            cursor.execute("ANALYZE sqlite_schema")


# The source index's row in another build of a million conversations (bench/scale.py,
# 2026-12-04; its first figure the build's 1,019,614 reviews): 254,908 reviews a source, people's
# few thousand averaged with AutoQA's million. Led by the counted reviews, the Pareto's plan
# then read the whole review table (365 ms for the page, against 83 with the row above).
SOURCE_STATS_OF_ANOTHER_BUILD = "1019614 254908 254908 2"


def test_the_pareto_reads_reviews_by_primary_key_whatever_the_statistics(db, monkeypatch):
    """A session's reviews are found by the partial unique index that leads with the session,
    so there is no plain index of it: that one also held the NULL of every other review, and
    SQLite, counting ~500 reviews a key, read every AutoQA review through it for "outside
    calibration" (the Pareto 590 -> 132 ms and the AutoQA page ~9 s -> 0.65 s at 1M).
    Under the statistics of either build of a million conversations, SQLite's plan starts
    from the root-cause links (people's ratings only) and reads their reviews and
    conversations by primary key: no review is read by the source index or a scan."""
    from django.db import connection

    from supportqa.reports.causes import tagged_ratings
    from supportqa.reviews.models import Review

    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, "reviews_review")
    alone = [
        n for n, c in found.items() if c["index"] and c["columns"] == ["calibration_session_id"]
    ]
    assert alone == []
    assert any(c["index"] and c["columns"][0] == "calibration_session_id" for c in found.values())
    if connection.vendor != "sqlite":
        return
    now = timezone.now()
    period = Conversation.objects.filter(created_at__gte=now - timedelta(days=90))
    counts = tagged_ratings(period, Review.objects.filter(team__isnull=False)).values(
        "rootcauseoption__criterion__key", "rootcauseoption__label"
    )
    sql, params = counts.annotate(n=Count("pk")).order_by().query.sql_with_params()
    stats = STATS_AT_A_MILLION["reviews_review"]
    for source in (stats["reviews_rev_source_09f570_idx"], SOURCE_STATS_OF_ANOTHER_BUILD):
        monkeypatch.setitem(stats, "reviews_rev_source_09f570_idx", source)
        plan = plan_at_a_million(sql, params)
        # It starts from the links (or their options), and every review, rating and
        # conversation it reads (the subqueries' U0) is read by primary key.
        first = next(step for step in plan if step.startswith(("SCAN", "SEARCH")))
        assert "root_causes" in first or "rootcauseoption" in first, plan
        joined = [s for s in plan if re.search(r"\b(reviews_review|reviews_rating|U0) ", s)]
        assert len(joined) == 4 and all("INTEGER PRIMARY KEY" in s for s in joined), plan
