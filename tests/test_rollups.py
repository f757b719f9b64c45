"""The daily rollups: every figure read from them equals the figure of the raw rows, whatever
writes the raw rows; the marks, the recomputation, rebuild and check."""

from __future__ import annotations

import random
import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection, transaction
from django.db.models import F, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from supportqa import configured
from supportqa.conversations.models import (
    SHOP_SOURCE,
    Category,
    Channel,
    Conversation,
    Message,
)
from supportqa.core import kpis
from supportqa.core.intervals import wilson
from supportqa.reports import durations, metrics, rollups
from supportqa.reports.models import (
    ConversationDay,
    ConversationDayByHour,
    DirtyDay,
    DurationDay,
)
from supportqa.reports.periods import Period
from supportqa.reviews.models import Review
from supportqa.surveys.models import SurveyResponse, SurveySent
from tests.conftest import make_user

NOW = datetime(2026, 3, 18, 15, 37, 12, tzinfo=UTC)
# Period edges of the tests below: random_world puts some conversations within two hours of
# them, so a partial hour and the whole hours beside it hold rows.
EDGES = [NOW, NOW - timedelta(days=30), NOW - timedelta(days=3, hours=5), NOW - timedelta(days=1)]
EDGES.append(NOW - timedelta(hours=7))
EDGES += [datetime(2026, 3, 16, 22, tzinfo=UTC), datetime(2026, 3, 17, 3, 30, tzinfo=UTC)]
KOLKATA = ZoneInfo("Asia/Kolkata")  # UTC+5:30: its midnights are half past UTC hours
EDGES += [datetime(2026, 3, 2, tzinfo=KOLKATA), datetime(2026, 3, 12, tzinfo=KOLKATA)]


def random_world(cast, rng: random.Random, count: int = 400) -> None:
    """Conversations over 40 days (around any period's partial first and last days) with
    every outcome, several agents, teams, channels and categories, and surveys sent and
    answered at other times than the conversations."""
    other_team_agent = make_user("r.other", "agent", cast.other_team)
    agents = [(cast.agent, cast.team), (cast.teammate, cast.team), (other_team_agent, None)]
    agents.append((cast.other_agent, cast.other_team))
    categories = [None, *Category.objects.order_by("pk")[:3]]
    conversations = []
    for i in range(count):
        agent, team = rng.choice(agents)
        created = NOW - timedelta(seconds=rng.randrange(40 * 86400))
        if rng.random() < 0.3:
            created = rng.choice(EDGES) + timedelta(seconds=rng.randrange(-7200, 7200))
        resolved = rng.random() < 0.7
        conversations.append(
            Conversation(
                source=rng.choice(["a", "b"]),
                external_id=f"r{i}",
                agent=agent if rng.random() < 0.95 else None,
                team=team,
                channel=rng.choice(Channel.values),
                category=rng.choice(categories),
                created_at=created,
                first_response_seconds=rng.choice([None, rng.randrange(5, 9000)]),
                resolution_seconds=rng.randrange(60, 90000) if resolved else None,
                reopen_count=rng.choice([0, 0, 0, 1, 2]),
                repeat_contact_seconds=rng.choice([None, None, rng.randrange(-500, 30 * 86400)]),
            )
        )
    # Mystery shops are not customers' conversations: no figure counts them.
    conversations += [
        Conversation(
            source=SHOP_SOURCE,
            external_id=f"shop{i}",
            agent=rng.choice(agents)[0],
            team=cast.team,
            channel=Channel.CHAT,
            created_at=NOW - timedelta(seconds=rng.randrange(40 * 86400)),
            first_response_seconds=rng.randrange(1, 5),
            resolution_seconds=rng.randrange(1, 5),
        )
        for i in range(count // 10)
    ]
    Conversation.objects.bulk_create(conversations)
    for i, conversation in enumerate(Conversation.objects.filter(external_id__startswith="r")):
        if rng.random() < 0.4:
            sent = SurveySent.objects.create(
                conversation=conversation,
                agent=conversation.agent,
                team=conversation.team,
                sent_at=conversation.created_at + timedelta(hours=rng.randrange(1, 60)),
            )
            if rng.random() < 0.6:
                scale = rng.choice([5, 7])
                SurveyResponse.objects.create(
                    source="r",
                    external_id=f"a{i}",
                    survey=sent,
                    conversation=conversation,
                    agent=conversation.agent,
                    team=conversation.team,
                    csat=rng.choice([None, rng.randint(1, scale)]),
                    csat_scale=scale,
                    nps=rng.choice([None, rng.randint(0, 10)]),
                    ces=rng.choice([None, rng.randint(1, 7)]),
                    answered_at=sent.sent_at + timedelta(hours=rng.randrange(0, 30)),
                )


def raw_figures(scope: Q, period: Period) -> dict[str, float]:
    """The panel's figures straight from the raw rows, in Python with the core formulas."""
    window = {"created_at__gte": period.start, "created_at__lt": period.end}
    customers = Conversation.objects.exclude(source=SHOP_SOURCE)
    rows = list(customers.filter(scope, **window))
    first_contact = set(
        customers.filter(scope, rollups.first_contact(), **window).values_list("pk", flat=True)
    )
    resolved = [c for c in rows if c.resolution_seconds is not None]
    answers = SurveyResponse.objects.filter(
        scope, answered_at__gte=period.start, answered_at__lt=period.end
    )
    # CSAT and the response rate: the surveys about the period's conversations.
    sent = SurveySent.objects.filter(  # its agent and team are its conversation's here
        scope,
        conversation__created_at__gte=period.start,
        conversation__created_at__lt=period.end,
    )
    about = SurveyResponse.objects.filter(survey__in=sent, csat__isnull=False)
    csat = [(a.csat, a.csat_scale) for a in about]
    frt = kpis.summarise_durations(c.first_response_seconds for c in rows)
    return {
        "volume": len(rows),
        "fcr": wilson(len(first_contact), len(resolved)).scaled(100).value or 0,
        "reopen": wilson(sum(c.reopen_count > 0 for c in resolved), len(resolved)).value or 0,
        "frt_mean": frt.mean or 0,
        "frt_median": frt.median or 0,
        "resolution_median": kpis.summarise_durations(c.resolution_seconds for c in rows).median
        or 0,
        "csat": kpis.csat_percent(csat).value or 0,
        "csat_low": kpis.csat_percent(csat).low or 0,
        "nps": kpis.nps([a.nps for a in answers if a.nps is not None]).value or 0,
        "ces": kpis.ces([a.ces for a in answers if a.ces is not None]).value or 0,
        "response_rate": wilson(about.count(), sent.count()).value or 0,
    }


def rollup_figures(scope: Q, period: Period) -> dict[str, float]:
    panel = metrics.dashboard(scope, Review.objects.none(), period).panel
    return {
        "volume": panel.volume,
        "fcr": panel.fcr.value or 0,
        "reopen": (panel.reopen_rate.value or 0) / 100,
        "frt_mean": panel.first_response.mean or 0,
        "frt_median": panel.first_response.median or 0,
        "resolution_median": panel.resolution.median or 0,
        "csat": panel.csat.value or 0,
        "csat_low": panel.csat.low or 0,
        "nps": panel.nps.value or 0,
        "ces": panel.ces.value or 0,
        "response_rate": (panel.response_rate.value or 0) / 100,
    }


def test_figures_from_rollups_equal_the_raw_rows_figures(cast):
    rng = random.Random(11)
    random_world(cast, rng)
    scopes = [Q(), Q(team=cast.team), Q(agent=cast.agent), Q(team_id__in=[cast.other_team.pk])]
    scopes.append(Q(team=cast.team) | Q(agent=cast.other_agent))
    periods = [
        Period(NOW - timedelta(days=30), NOW),  # partial first and last days
        Period(NOW - timedelta(days=3, hours=5), NOW - timedelta(days=1)),
        Period(datetime(2026, 2, 20, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC)),  # whole
        Period(NOW - timedelta(hours=7), NOW),  # inside one day
        Period(EDGES[5], EDGES[6]),  # across a UTC midnight, no whole day; edge on an hour
        Period(EDGES[7], EDGES[8]),  # whole days in a zone half an hour off UTC
    ]
    checked = 0
    # First with the partial days marked (read from the raw rows), then with every day
    # current (their whole hours read from the hourly rows).
    for recompute in (False, True):
        if recompute:
            rollups.current()
            assert not DirtyDay.objects.exists()
        for scope in scopes:
            for period in periods:
                raw, rolled = raw_figures(scope, period), rollup_figures(scope, period)
                assert rolled == pytest.approx(raw, abs=1e-9, rel=0), (scope, period, recompute)
                checked += raw["volume"]
    assert checked > 1200  # the scopes and periods hold data
    assert ConversationDay.objects.exists()
    whole_days = {"day__gte": NOW.date() - timedelta(days=29), "day__lt": NOW.date()}
    whole_days["kind__in"] = ["conversation", "answer"]  # what the pages read
    assert not DirtyDay.objects.filter(**whole_days).exists()
    assert rollups.check() == []
    # The hourly rows are what is read for a partial day's whole hours: a changed one shows
    # (and check finds it), unless its day is marked.
    period = periods[0]
    start = period.start.astimezone(UTC)
    hour = ConversationDayByHour.objects.filter(
        day=start.date(), hour__gt=start.hour, volume__gt=0
    ).first()
    ConversationDayByHour.objects.filter(pk=hour.pk).update(volume=hour.volume + 5)
    raw = raw_figures(Q(), period)
    assert rollup_figures(Q(), period)["volume"] == raw["volume"] + 5
    assert any("reports_conversationdaybyhour" in problem for problem in rollups.check())
    DirtyDay.objects.create(kind="conversation", day=start.date())
    assert rollup_figures(Q(), period) == pytest.approx(raw, abs=1e-9, rel=0)


def test_every_write_marks_its_days_and_the_next_read_sees_it(cast):
    rng = random.Random(5)
    random_world(cast, rng, count=120)
    period = Period(NOW - timedelta(days=30), NOW)
    scope = Q(team=cast.team)
    assert rollup_figures(scope, period) == pytest.approx(raw_figures(scope, period))
    whole_days = {"day__gte": NOW.date() - timedelta(days=29), "day__lt": NOW.date()}
    whole_days["kind__in"] = ["conversation", "answer"]  # what the pages read
    assert not DirtyDay.objects.filter(**whole_days).exists()
    # A bulk update, a delete (with its cascade of surveys), a single save, a new survey:
    # each marks the days it touches.
    team = Conversation.objects.filter(team=cast.team, created_at__gte=period.start)
    team.filter(pk__in=list(team.values_list("pk", flat=True)[:10])).update(
        channel="email", reopen_count=3
    )
    team.filter(pk__in=list(team.values_list("pk", flat=True)[10:15])).delete()
    moved = team.order_by("pk").last()
    moved.created_at -= timedelta(days=2)
    moved.resolution_seconds = None
    moved.save()
    SurveyResponse.objects.filter(team=cast.team).update(csat=1, csat_scale=5)
    assert DirtyDay.objects.filter(kind="conversation").count() >= 3
    assert DirtyDay.objects.filter(kind="answer").exists()
    assert rollup_figures(scope, period) == pytest.approx(raw_figures(scope, period), abs=1e-9)
    assert rollups.check() == []


def test_new_settings_recompute_every_day(cast, settings):
    random_world(cast, random.Random(3), count=150)
    period = Period(NOW - timedelta(days=30), NOW)
    before = rollup_figures(Q(), period)
    settings.SUPPORTQA_FCR_DAYS = 1
    after = rollup_figures(Q(), period)
    assert after["fcr"] != before["fcr"]
    assert after == pytest.approx(raw_figures(Q(), period), abs=1e-9)


def test_check_finds_a_changed_rollup_and_rebuild_repairs_it(cast, capsys):
    random_world(cast, random.Random(2), count=100)
    call_command("rollups", "rebuild")
    assert "rebuilt" in capsys.readouterr().out
    call_command("rollups", "check")
    assert "no differences" in capsys.readouterr().out
    row = ConversationDay.objects.filter(volume__gt=0).first()
    ConversationDay.objects.filter(pk=row.pk).update(volume=row.volume + 1)
    with pytest.raises(CommandError, match="1 rollup rows differ"):
        call_command("rollups", "check")
    assert f"reports_conversationday {row.day}" in capsys.readouterr().out
    call_command("rollups", "rebuild")
    call_command("rollups", "check")
    assert "no differences" in capsys.readouterr().out


def test_medians_come_from_the_days_duration_arrays_which_check_compares(cast, capsys):
    """The panel's medians are taken over the whole days' duration arrays
    (reports.durations) and the partial days' raw rows; a changed array moves them and
    `rollups check` names it; a marked day is read from its raw rows; rebuild repairs it."""
    random_world(cast, random.Random(3), count=300)
    rollups.current()
    period = Period(NOW - timedelta(days=30), NOW)
    raw = raw_figures(Q(), period)
    assert rollup_figures(Q(), period) == pytest.approx(raw, abs=1e-9, rel=0)
    assert rollups.check() == []
    first, end = rollups.whole_days(period)
    whole = DurationDay.objects.filter(day__gte=first, day__lt=end)
    tampered = sorted(set(whole.values_list("day", flat=True)))
    for row in whole:
        n = len(bytes(row.first_response)) // 4
        row.first_response = np.full(n, 2_000_000_000, "<i4").tobytes()
        row.save()
    assert rollup_figures(Q(), period)["frt_median"] == 2_000_000_000  # read from the arrays
    assert any(p.startswith(f"reports_durationday {tampered[0]}") for p in rollups.check())
    DirtyDay.objects.bulk_create([DirtyDay(kind="conversation", day=day) for day in tampered])
    marked = durations.medians(Q(), period, {"first_response_seconds": 1})
    assert marked["first_response_seconds"] == raw["frt_median"]  # their raw rows instead
    assert not [p for p in rollups.check() if "durationday" in p]  # marked days left out
    assert rollup_figures(Q(), period)["frt_median"] == raw["frt_median"]  # recomputed
    assert DurationDay.objects.filter(day__in=tampered).exists()
    call_command("rollups", "rebuild")
    assert rollups.check() == []
    assert rollup_figures(Q(), period) == pytest.approx(raw, abs=1e-9, rel=0)
    # A second row of a day, agent and team would count twice: check names it.
    row = DurationDay.objects.exclude(first_response=b"").first()
    DurationDay.objects.create(
        day=row.day, agent=row.agent, team=row.team, first_response=row.first_response,
        resolution=row.resolution,
    )  # fmt: skip
    assert any(p.endswith("more than one row") for p in rollups.check())
    # A duration past 32 bits (SQLite stores one) is kept as the largest, the others as read.
    assert np.frombuffer(durations._pack([2**40, 7]), "<i4").tolist() == [7, 2**31 - 1]


def test_the_migration_fills_the_duration_arrays_of_the_conversations_already_there(cast):
    """reports 0009 fills the arrays from the conversations as `durations.recompute` does,
    so an installation's medians read them at once, without recomputing its rollups."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps

    random_world(cast, random.Random(4), count=150)
    rollups.current()

    def stored() -> set[tuple[object, ...]]:
        rows = DurationDay.objects.values_list(
            "day", "agent_id", "team_id", "first_response", "resolution"
        )
        return {(*row[:3], bytes(row[3]), bytes(row[4])) for row in rows}

    recomputed = stored()
    assert len(recomputed) > 20
    DurationDay.objects.all().delete()
    migration = importlib.import_module("supportqa.reports.migrations.0009_duration_days")
    migration.fill(apps, SimpleNamespace(connection=connection))
    assert stored() == recomputed
    assert rollups.check() == []


def test_the_worker_takes_the_marked_days_one_transaction_each(cast):
    """`current(day_by_day=True)` (the worker, `rollups refresh`): a transaction per marked
    day, so a large recomputation never holds the write lock for all of them at once; a page
    takes its period's days in one. Both leave the rollups equal to the raw rows."""
    random_world(cast, random.Random(4), count=120)
    rollups.current()
    for day_by_day in (True, False):
        Conversation.objects.filter(team=cast.team).update(reopen_count=2 if day_by_day else 3)
        marks = DirtyDay.objects.count()
        days = DirtyDay.objects.values("day").distinct().count()
        assert days >= 5
        with CaptureQueriesContext(connection) as sent:
            assert rollups.current(day_by_day=day_by_day) == marks
        takes = [q for q in sent if f"DELETE FROM {DirtyDay._meta.db_table}" in q["sql"]]
        assert len(takes) == (days if day_by_day else 1)
        assert not DirtyDay.objects.exists()
        assert rollups.check() == []


@pytest.mark.django_db(transaction=True)
def test_two_readers_recompute_a_day_once(cast):
    """Two requests reading the same marked days at once: each day is recomputed by one of
    them (SQLite: the first to write takes them all and the other then finds none; PostgreSQL:
    a day whose lock the other holds is left to it), and no row is doubled."""
    random_world(cast, random.Random(9), count=200)
    period = Period(NOW - timedelta(days=30), NOW)
    rollups.current(period)
    Conversation.objects.filter(team=cast.team).update(reopen_count=1)
    marked = DirtyDay.objects.filter(day__gt=period.start.date(), day__lt=NOW.date()).count()
    results: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def read() -> None:
        try:
            barrier.wait()
            results.append(rollups.current(period))
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=read) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(results) == marked > 0 and len(results) == 2
    if connection.vendor == "sqlite":
        assert min(results) == 0
    assert rollups.check() == []
    assert rollup_figures(Q(), period) == pytest.approx(raw_figures(Q(), period), abs=1e-9)


def test_current_with_nothing_marked_opens_no_transaction(cast):
    """With no day marked, `current` only reads the marks: taking them would take SQLite's
    one write lock (BEGIN IMMEDIATE) on every page view, even to delete nothing."""
    random_world(cast, random.Random(7), count=20)
    period = Period(NOW - timedelta(days=30), NOW)
    assert rollups.current(period) > 0
    with CaptureQueriesContext(connection) as seen:
        assert rollups.current(period) == 0
    statements = [q["sql"].lstrip("( ").split()[0].upper() for q in seen]
    assert set(statements) == {"SELECT"}, statements
    late = NOW - timedelta(days=1)
    Conversation.objects.create(source="t", external_id="new", created_at=late)
    assert rollups.current(period) > 0
    assert not DirtyDay.objects.filter(day=late.astimezone(UTC).date()).exists()


def test_a_day_marked_after_current_is_read_from_its_raw_rows(cast):
    """A write that lands between `current` and the read marks a whole day of the period:
    the read takes that day from the raw rows, not from its stale rollup rows."""
    random_world(cast, random.Random(6), count=80)
    period = Period(NOW - timedelta(days=30), NOW)
    rollups.current()
    day = (NOW - timedelta(days=3)).replace(hour=12)
    before = rollups.total(rollups.grouped(rollups.CONVERSATIONS, Q(), period, ["day"]).values())
    Conversation.objects.create(source="t", external_id="late", created_at=day)
    assert DirtyDay.objects.filter(kind="conversation", day=day.date()).exists()
    after = rollups.total(rollups.grouped(rollups.CONVERSATIONS, Q(), period, ["day"]).values())
    assert after["volume"] == before["volume"] + 1


@pytest.mark.django_db(transaction=True)
def test_a_day_an_uncommitted_writer_holds_stays_marked(cast):
    """A recomputation while a writer's transaction is open on a day already marked (its
    ON CONFLICT DO NOTHING found the mark and locks no row). PostgreSQL: the writer holds the
    day's advisory lock, so the recomputation leaves the day marked, and once the writer
    commits no figure and no rollup misses its row. SQLite: the writer holds the one write
    lock, so no recomputation can start until it commits."""
    random_world(cast, random.Random(5), count=60)
    period = Period(NOW - timedelta(days=30), NOW)
    rollups.current()
    day = (NOW - timedelta(days=2)).replace(hour=12)
    Conversation.objects.create(source="t", external_id="first", created_at=day)
    assert DirtyDay.objects.filter(kind="conversation", day=day.date()).exists()
    written, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            with transaction.atomic():
                Conversation.objects.create(source="t", external_id="second", created_at=day)
                written.set()
                assert done.wait(timeout=60)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            written.set()
            connection.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert written.wait(timeout=60)
        if connection.vendor == "postgresql":
            rollups.current()
            assert DirtyDay.objects.filter(kind="conversation", day=day.date()).exists()
        else:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA busy_timeout")
                (timeout,) = cursor.fetchone()
                cursor.execute("PRAGMA busy_timeout = 0")
                try:
                    with pytest.raises(OperationalError, match="locked"):
                        rollups.current()
                finally:
                    cursor.execute(f"PRAGMA busy_timeout = {int(timeout)}")
    finally:
        done.set()
        writer.join()
    assert errors == []
    assert rollups.check() == []
    assert rollup_figures(Q(), period) == pytest.approx(raw_figures(Q(), period), abs=1e-9)
    rollups.current()
    assert rollups.check() == [] and not DirtyDay.objects.exists()


def test_a_lead_reads_the_rollups_of_their_scope_only(cast):
    from supportqa.conversations.access import scope_of

    random_world(cast, random.Random(4), count=150)
    period = Period(NOW - timedelta(days=30), NOW)
    lead = rollup_figures(scope_of(cast.lead), period)
    assert lead == pytest.approx(raw_figures(scope_of(cast.lead), period), abs=1e-9)
    assert lead["volume"] < rollup_figures(Q(), period)["volume"]


def test_today_is_read_from_raw_rows_until_it_is_over(cast):
    """The period ending now: today's rows come from the raw table, so a conversation
    created a second ago counts at once."""
    now = timezone.now()
    period = Period(now - timedelta(days=7), now + timedelta(seconds=5))
    before = metrics.dashboard(Q(), Review.objects.none(), period).panel.volume
    Conversation.objects.create(source="t", external_id="fresh", created_at=now)
    assert metrics.dashboard(Q(), Review.objects.none(), period).panel.volume == before + 1


def test_autoqa_figures_from_rollups_equal_the_raw_rows(cast):
    """The AutoQA page's totals (AQS by criterion and agent, detector outcomes) from the
    rollups against the same aggregates over AutoQA's stored reviews, ratings and findings."""
    from django.db.models import Avg, Count

    from supportqa.accounts.models import User
    from supportqa.autoqa.actions import enqueue_changed, work
    from supportqa.autoqa.models import Finding
    from supportqa.autoqa.report import totals
    from supportqa.reviews.access import reviewee_scope
    from supportqa.reviews.models import Rating, Source
    from tests.conftest import make_conversation

    now = timezone.now()
    for i in range(12):
        agent = [cast.agent, cast.teammate, cast.other_agent][i % 3]
        team = cast.other_team if agent == cast.other_agent else cast.team
        make_conversation(agent, team, f"aq{i}", created=now - timedelta(days=i * 3, hours=i))
    enqueue_changed()
    work("w")
    period = Period(now - timedelta(days=20), now)
    window = {
        "conversation__created_at__gte": period.start,
        "conversation__created_at__lt": period.end,
    }
    for user in (cast.manager, cast.lead):
        found = totals(reviewee_scope(user, "agent"), period)
        reviews = Review.objects.scored().filter(
            reviewee_scope(user), source=Source.AUTOQA, **window
        )
        assert found.count == reviews.count() > 0
        codes = dict(User.objects.values_list("pk", "code"))
        expected = reviews.values("reviewee").annotate(mean=Avg("final_score"), n=Count("pk"))
        assert_close(
            {codes[r["reviewee"]]: (r["mean"], r["n"]) for r in expected},
            {a["reviewee__code"]: (a["mean"], a["n"]) for a in found.agents},
        )
        ratings = Rating.objects.filter(review__in=reviews, is_na=False)
        expected = ratings.values("criterion__key").annotate(mean=Avg("score"), n=Count("pk"))
        assert_close(
            {r["criterion__key"]: (r["mean"], r["n"]) for r in expected},
            {c["criterion__key"]: (c["mean"], c["n"]) for c in found.criteria},
        )
        findings = Finding.objects.filter(review__in=reviews)
        for row in found.detectors:
            mine = findings.filter(detector=row["detector"])
            assert row["n"] == mine.count()
            assert row["hit"] == mine.filter(score__gte=Finding.HIT).count()
            assert row["na"] == mine.filter(score__isnull=True).count()
        assert sum(row["n"] for row in found.detectors) == findings.count()
    lead_count = totals(reviewee_scope(cast.lead, "agent"), period).count
    assert 0 < lead_count < totals(Q(), period).count  # the other team's agent is left out
    assert rollups.check() == []


def assert_close(expected: dict, found: dict) -> None:
    assert set(found) == set(expected) and expected
    for key, (mean, n) in expected.items():
        assert found[key][1] == n
        assert found[key][0] == pytest.approx(mean, abs=1e-9)


def test_every_marked_table_keeps_its_triggers_after_all_migrations(db):
    """SQLite remakes a table to add most columns, without its triggers: a migration that
    changes a marked table must install them again (reports.marks.reinstall). Every table the
    trigger migrations name has its insert, update and delete trigger of each migration, by
    name (a table may carry several migrations' triggers)."""
    import importlib

    wanted: set[str] = set()
    for module in ("supportqa.reports.migrations.0002_rollup_triggers",
                   "supportqa.reports.migrations.0005_activity_triggers",
                   "supportqa.autoqa.migrations.0003_rollup_triggers",
                   "supportqa.autoqa.migrations.0014_agreement_rollups"):  # fmt: skip
        migration = importlib.import_module(module)
        wanted |= {
            f"{migration.NAME}_{table}_{event}"
            for table in migration.SQLITE_DAYS
            for event in ("insert", "update", "delete")
        }
    found = configured.triggers_in(connection)
    assert len(wanted) == 39 and not wanted - found, sorted(wanted - found)


def raw_hours(scope: Q, start: datetime, end: datetime) -> tuple[list[int], dict[int, float]]:
    """The staffing plan's two reads straight from the raw rows: new conversations per hour
    from `start`, and the mean number of different agents who sent a message in each hour of
    the week over the four weeks before `end`."""
    from supportqa.conversations.models import SHOP_SOURCE
    from supportqa.reports import staffing

    counts = [0] * int((end - start).total_seconds() // 3600)
    scope &= ~Q(source=SHOP_SOURCE)
    for conversation in Conversation.objects.filter(
        scope, created_at__gte=start, created_at__lt=end
    ):
        counts[int((conversation.created_at - start).total_seconds() // 3600)] += 1
    since = end - timedelta(weeks=staffing.RECENT_WEEKS)
    conversations = Conversation.objects.filter(scope)
    seen = set()
    for message in Message.objects.filter(
        conversation__in=conversations, author_kind="agent", sent_at__gte=since, sent_at__lt=end
    ).exclude(author=None):
        hour = message.sent_at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        seen.add((hour, message.author_id))
    totals: dict[int, int] = {}
    for hour, _ in seen:
        key = staffing._hour_of_week(hour)
        totals[key] = totals.get(key, 0) + 1
    return counts, {h: totals.get(h, 0) / staffing.RECENT_WEEKS for h in range(168)}


def test_hourly_rollups_give_the_staffing_reads_of_the_raw_rows_whatever_moves(cast):
    """New conversations per hour and who worked each hour (the staffing plan) read from the
    hourly rollups equal the raw rows' over periods with partial days, for the organisation,
    a lead and a channel; moving a conversation to another agent and team, and deleting a
    message, mark their days and the next read sees it."""
    from supportqa.conversations.access import scope_of
    from supportqa.conversations.models import SHOP_SOURCE
    from supportqa.reports import staffing

    rng = random.Random(12)
    random_world(cast, rng, count=300)
    conversations = list(Conversation.objects.filter(external_id__startswith="r"))
    # Mystery shops count nowhere (their records are shown on their assignments' pages).
    Conversation.objects.filter(pk__in=[c.pk for c in conversations[:30]]).update(
        source=SHOP_SOURCE
    )
    authors = [cast.agent, cast.teammate, cast.other_agent, None]
    Message.objects.bulk_create(
        Message(
            conversation=conversation,
            seq=i,
            author_kind=rng.choice(["agent", "agent", "customer", "note"]),
            author=rng.choice(authors),
            sent_at=conversation.created_at + timedelta(minutes=rng.randrange(0, 3000)),
            text="x",
        )
        for conversation in conversations
        for i in range(3)
    )
    rollups.current()
    assert rollups.check() == []
    # Whole hours (a plan starts at a local midnight), on partial days.
    end = NOW.replace(minute=0, second=0) - timedelta(hours=2)
    start = end - timedelta(days=33, hours=7)

    def compare() -> None:
        for scope in (Q(), scope_of(cast.lead), Q(channel="chat")):
            assert (staffing._hourly(scope, start, end), staffing._worked(scope, end)) == (
                raw_hours(scope, start, end)
            )

    compare()
    rollups.current()
    moved = next(
        c
        for c in conversations[30:]
        if c.agent == cast.agent and c.messages.filter(author_kind="agent").exists()
    )
    # A change the activity rollup does not read (an import's repeat-contact updates)
    # marks none of its days: each such mark read the conversation's messages.
    Conversation.objects.filter(pk=moved.pk).update(repeat_contact_seconds=60, reopen_count=4)
    assert not DirtyDay.objects.filter(kind="activity").exists()
    assert DirtyDay.objects.filter(kind="conversation").exists()
    Conversation.objects.filter(pk=moved.pk).update(agent=cast.other_agent, team=cast.other_team)
    days = {m.sent_at.astimezone(UTC).date() for m in moved.messages.filter(author_kind="agent")}
    marked = set(DirtyDay.objects.filter(kind="activity").values_list("day", flat=True))
    assert days <= {d if isinstance(d, date) else date.fromisoformat(d) for d in marked}
    Message.objects.filter(pk=Message.objects.filter(author_kind="agent").first().pk).delete()
    compare()
    rollups.current()
    assert rollups.check() == []


def autoqa_world(cast, rng: random.Random, count: int = 48) -> datetime:
    """AutoQA's reviews of conversations at random minutes over eight days; returns now."""
    from supportqa.autoqa.actions import enqueue_changed, work
    from tests.conftest import make_conversation

    now = timezone.now()
    created = now
    for i in range(count):
        agent = [cast.agent, cast.teammate, cast.other_agent][i % 3]
        team = cast.other_team if agent == cast.other_agent else cast.team
        if i % 2 == 0:
            created = now - timedelta(minutes=rng.randrange(8 * 24 * 60))
        else:  # in pairs minutes apart, so a period's edge often falls between two of them
            created += timedelta(minutes=rng.randrange(3, 20))
        make_conversation(agent, team, f"hq{i}", messages=2 + i % 5, created=created)
    enqueue_changed()
    work("w")
    return now


def raw_grouped(rollup, scope: Q, period: Period, by: tuple[str, ...]) -> dict:
    """The rollup's sums straight from its raw rows over the whole period (no rollup row)."""
    out: dict = {}
    for part in rollup.parts:
        sums = part.sums()
        window = {f"{part.moment}__gte": period.start, f"{part.moment}__lt": period.end}
        rows = rollups._grouped(
            part.raw().filter(rollups.renamed(scope, part.paths), **window), part, by, sums
        ).values_list(*[f"k_{name}" for name in by], *sums)
        for row in rows:
            into = out.setdefault(row[: len(by)], {})
            for column, value in zip(sums, row[len(by) :], strict=True):
                into[column] = into.get(column, 0) + (value or 0)
    return out


def without_zeros(rows: dict) -> dict:
    out = {key: {c: v for c, v in row.items() if v} for key, row in rows.items()}
    return {key: row for key, row in out.items() if row}


def test_autoqa_hours_give_the_raw_rows_figures_at_any_edges(cast):
    """AutoQA's rollups keep hourly rows: a period's partial first and last days are read
    from them for their whole hours and from the raw rows for the partial hours, so every
    figure equals the raw rows' at any minute; a marked (stale) day is read raw instead."""
    from supportqa.autoqa.models import AutoQADetectorHour, AutoQAHour
    from supportqa.autoqa.rollups import ROLLUPS as AUTOQA_ROLLUPS

    rng = random.Random(17)
    now = autoqa_world(cast, rng)
    rollups.current()
    assert AutoQAHour.objects.values("hour").distinct().count() > 10
    # Edges just before or after a conversation: some of the period's partial hours hold
    # rows on both sides of the edge, whole hours and partial ones.
    moments = sorted(Conversation.objects.values_list("created_at", flat=True))
    half = timedelta(seconds=30)
    periods = [Period(moments[3] - half, now), Period(moments[10] + half, moments[-5] - half)]
    periods.append(Period(moments[-20] - half, moments[-11] + half))  # a day or two
    periods.append(Period(now - timedelta(hours=3, minutes=1), now - timedelta(minutes=2)))
    scopes = [Q(), Q(agent=cast.agent), Q(agent__in=[cast.teammate, cast.other_agent])]
    seen = 0
    # By day, or by the keys alone (the database adds up the days, the hours and the raw
    # pieces of each key).
    groupings = [
        (rollup, by)
        for rollup in AUTOQA_ROLLUPS
        if rollup.over is None  # everyone's rows are read for an org-wide scope (below)
        for keys in [tuple(rollup.parts[0].keys())]
        for by in (("day", *keys), keys)
    ]
    for rollup, by in groupings:
        for period in periods:
            for scope in scopes:
                expected = without_zeros(raw_grouped(rollup, scope, period, by))
                found = without_zeros(rollups.grouped(rollup, scope, period, by))
                assert set(found) == set(expected), (rollup.table, period, scope)
                for key, row in expected.items():
                    assert found[key] == pytest.approx(row, abs=1e-9, rel=0)
                seen += len(expected)
    assert seen > 100
    # The hourly rows are read: a changed one inside a partial day's whole hours shows...
    hour = AutoQADetectorHour.objects.filter(
        day__gt=now.date() - timedelta(days=7), day__lt=now.date(), hour__gte=2
    ).first()
    day = hour.day
    start = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=hour.hour - 1)
    period = Period(start + timedelta(minutes=17), now)
    AutoQADetectorHour.objects.filter(pk=hour.pk).update(findings=hour.findings + 1000)
    by = ("day", "detector")
    from supportqa.autoqa.rollups import AUTOQA_DETECTORS

    agent = Q(agent_id=hour.agent_id)  # (an org-wide read adds up everyone's rows, below)
    found = rollups.total(rollups.grouped(AUTOQA_DETECTORS, agent, period, by).values())
    expected = rollups.total(raw_grouped(AUTOQA_DETECTORS, agent, period, by).values())
    assert found["findings"] == expected["findings"] + 1000
    assert any("autoqa_autoqadetectorhour" in problem for problem in rollups.check())
    # ...unless its day is marked: then the raw rows are read, and the next recompute mends it.
    DirtyDay.objects.create(kind="autoqa", day=day)
    found = rollups.total(rollups.grouped(AUTOQA_DETECTORS, agent, period, by).values())
    assert found["findings"] == expected["findings"]
    rollups.current()
    assert rollups.check() == []


def test_everyones_autoqa_rows_are_read_for_org_wide_scopes_and_equal_the_raw_rows(cast):
    """The criteria's and detectors' rows added up over the agents: recomputed with the
    per-agent rows, read in their place when the scope admits everyone (and only then), equal
    to the raw rows at any edges; 0013 fills them from the hourly rows already there."""
    import importlib

    from supportqa.autoqa.models import (
        AutoQACriterionEveryoneDay,
        AutoQACriterionEveryoneHour,
        AutoQADetectorEveryoneDay,
        AutoQADetectorEveryoneHour,
    )
    from supportqa.autoqa.rollups import AUTOQA_CRITERIA, AUTOQA_DETECTORS

    now = autoqa_world(cast, random.Random(23))
    rollups.current()
    assert AutoQADetectorEveryoneDay.objects.exists()
    assert rollups.check() == []
    period = Period(now - timedelta(days=9, minutes=7), now - timedelta(minutes=3))
    for rollup, column in ((AUTOQA_CRITERIA, "criterion_key"), (AUTOQA_DETECTORS, "detector")):
        everyone = rollups.EVERYONES[rollup.table]
        assert everyone.over is rollup
        for by in (("day", column), (column,)):
            expected = without_zeros(raw_grouped(rollup, Q(), period, by))
            assert expected
            found = without_zeros(rollups.grouped(rollup, Q(), period, by))
            assert set(found) == set(expected)
            for key, row in expected.items():
                assert found[key] == pytest.approx(row, abs=1e-9, rel=0)
    # Read in place of the per-agent rows for everyone: a changed row shows there only.
    hour = AutoQACriterionEveryoneHour.objects.filter(day__lt=now.date()).first()
    AutoQACriterionEveryoneHour.objects.filter(day=hour.day).update(ratings=F("ratings") + 7)
    AutoQACriterionEveryoneDay.objects.filter(day=hour.day).update(ratings=F("ratings") + 7)
    window = Period(now - timedelta(days=90), now)
    rows = AutoQACriterionEveryoneDay.objects.filter(day=hour.day).count()

    def ratings(scope: Q, by: tuple[str, ...]) -> int:
        return rollups.total(rollups.grouped(AUTOQA_CRITERIA, scope, window, by).values())[
            "ratings"
        ]

    raw = rollups.total(raw_grouped(AUTOQA_CRITERIA, Q(), window, ("criterion_key",)).values())
    assert ratings(Q(), ("criterion_key",)) == raw["ratings"] + 7 * rows
    assert ratings(Q(), ("day",)) == raw["ratings"] + 7 * rows
    agents = [cast.agent, cast.teammate, cast.other_agent]
    assert ratings(Q(agent__in=agents), ("criterion_key",)) == raw["ratings"]
    assert ratings(Q(), ("agent_id",)) == raw["ratings"]  # grouped by a key it drops
    assert any("autoqacriterioneveryone" in problem for problem in rollups.check())
    # The migration adds up the per-agent hours already there.
    everyones = (AutoQACriterionEveryoneDay, AutoQACriterionEveryoneHour,
                 AutoQADetectorEveryoneDay, AutoQADetectorEveryoneHour)  # fmt: skip
    for model in everyones:
        model.objects.all().delete()
    migration = importlib.import_module("supportqa.autoqa.migrations.0013_everyones_rollups")
    with connection.cursor() as cursor:
        for sql in migration.Migration.operations[-1].sql:
            cursor.execute(sql)
    assert rollups.check() == []
    assert AutoQADetectorEveryoneDay.objects.exists()


def test_a_write_on_a_partial_day_counts_at_once(cast):
    """A new AutoQA review on a period's partial day marks it; the next read takes that day
    from the raw rows without recomputing it (a page never recomputes its partial days)."""
    from supportqa.autoqa.actions import enqueue_changed, work
    from supportqa.autoqa.rollups import AUTOQA
    from tests.conftest import make_conversation

    now = autoqa_world(cast, random.Random(23), count=18)
    rollups.current()
    first_day = datetime.combine(now.date() - timedelta(days=5), datetime.min.time(), UTC)
    period = Period(first_day + timedelta(hours=3, minutes=30), now)
    before = rollups.total(rollups.grouped(AUTOQA, Q(), period, ("day",)).values())
    created = first_day + timedelta(hours=4, minutes=59)  # in a whole hour of that day
    make_conversation(cast.agent, cast.team, "late", created=created)
    enqueue_changed()
    work("w")
    assert DirtyDay.objects.filter(kind="autoqa", day=created.date()).exists()
    after = rollups.total(rollups.grouped(AUTOQA, Q(), period, ("day",)).values())
    assert after["reviews"] == before["reviews"] + 1
    assert DirtyDay.objects.filter(kind="autoqa", day=created.date()).exists()


def test_a_read_is_compiled_once_and_run_with_each_periods_own_values(cast, monkeypatch):
    """`grouped` keeps its compiled statement by rollup, grouping, scope and shape: a
    later period of the same shape runs it with its own days, hours and moments (and gets
    what a freshly compiled read gets), a new scope or shape compiles its own."""
    from supportqa import statements

    random_world(cast, random.Random(23), count=200)
    rollups.current()
    compiled = []
    compile_ = statements.Statement.compile

    def counted_compile(cls, queryset, slots):
        if queryset.model is not DirtyDay:  # rollup reads only, not `marked_days`
            compiled.append(queryset)
        return compile_.__func__(cls, queryset, slots)

    monkeypatch.setattr(statements.Statement, "compile", classmethod(counted_compile))
    by = ("day", "channel", "resolved")
    first = Period(NOW - timedelta(days=20, minutes=13), NOW - timedelta(minutes=40))
    later = Period(NOW - timedelta(days=19, hours=3), NOW - timedelta(hours=2, minutes=5))
    rollups._STATEMENTS.clear()
    fresh = rollups.grouped(rollups.CONVERSATIONS, Q(team=cast.team), later, by)
    assert len(compiled) == 1 and fresh
    rollups._STATEMENTS.clear()
    rollups.grouped(rollups.CONVERSATIONS, Q(team=cast.team), first, by)
    assert rollups.grouped(rollups.CONVERSATIONS, Q(team=cast.team), later, by) == fresh
    assert len(compiled) == 2  # the later period ran the first one's statement
    expected = without_zeros(raw_grouped(rollups.CONVERSATIONS, Q(team=cast.team), later, by))
    found = without_zeros(fresh)
    assert set(found) == set(expected)
    for key, row in expected.items():
        assert found[key] == pytest.approx(row, abs=1e-9, rel=0)
    # Another scope, or a stale day inside the period (read raw, another shape): compiled.
    rollups.grouped(rollups.CONVERSATIONS, Q(team=cast.other_team), later, by)
    assert len(compiled) == 3
    DirtyDay.objects.create(kind="conversation", day=(NOW - timedelta(days=5)).date())
    stale = rollups.grouped(rollups.CONVERSATIONS, Q(team=cast.team), later, by)
    assert len(compiled) == 4
    assert without_zeros(stale) == found


def test_a_kept_read_follows_new_reply_targets(cast):
    """The raw rows' sums depend on the service levels in force (first replies within
    target): a kept statement is not run under other targets than those it was compiled
    with, on the partial days it reads raw."""
    from supportqa.autoqa.models import AutoQASettings
    from supportqa.conversations.models import first_reply_against_target

    random_world(cast, random.Random(29), count=300)
    period = Period(NOW - timedelta(days=12, hours=5, minutes=3), NOW - timedelta(minutes=9))

    def within() -> tuple[int, int]:
        rollups.current(period)
        read = rollups.total(rollups.grouped(rollups.CONVERSATIONS, Q(), period, ("day",)).values())
        raw = Conversation.objects.exclude(source=SHOP_SOURCE).filter(
            first_reply_against_target()[0],
            created_at__gte=period.start,
            created_at__lt=period.end,
        )
        return read["first_reply_within"], raw.count()

    before, raw_before = within()
    assert before == raw_before
    AutoQASettings.objects.create(rules={"first_reply_target": {c: 90 for c in Channel.values}})
    after, raw_after = within()
    assert after == raw_after != raw_before


def test_a_lead_of_no_team_reads_nothing_and_their_home_page_opens(cast):
    from supportqa.conversations.access import scope_of

    random_world(cast, random.Random(31), count=40)
    lead = make_user("lonely.lead", "lead")
    period = Period(NOW - timedelta(days=30), NOW)
    rollups.current(period)
    assert rollups.grouped(rollups.CONVERSATIONS, scope_of(lead), period, ("day",)) == {}
    assert cast.client(lead).get("/").status_code == 200


def test_a_read_built_under_settings_saved_since_current_is_not_kept(cast):
    """`grouped` keys its statement by the settings `current` found; when an admin saves
    others in between, the statement built (under the new ones) is used once, not kept
    under the old key."""
    from supportqa.autoqa.models import AutoQASettings

    random_world(cast, random.Random(37), count=120)
    period = Period(NOW - timedelta(days=9, hours=4, minutes=11), NOW - timedelta(minutes=3))
    rollups.current(period)
    rollups._STATEMENTS.clear()
    AutoQASettings.objects.create(rules={"first_reply_target": {c: 45 for c in Channel.values}})
    rollups.grouped(rollups.CONVERSATIONS, Q(), period, ("day",))
    assert len(rollups._STATEMENTS) == 0
    rollups.current(period)  # finds the new settings
    rollups.grouped(rollups.CONVERSATIONS, Q(), period, ("day",))
    assert len(rollups._STATEMENTS) == 1


def agreement_world(cast, rng: random.Random) -> datetime:
    """autoqa_world, with people's reviews of about half its conversations at random
    ratings: one reviewed twice, one by a draft only, and AutoQA unsure of some."""
    from supportqa.autoqa.models import Job
    from supportqa.reviews.actions import RatingInput, save_review
    from supportqa.reviews.models import Source
    from tests.conftest import chat_rubric, full_ratings, submitted_review

    now = autoqa_world(cast, rng)
    version = chat_rubric()
    conversations = list(Conversation.objects.order_by("pk"))
    reviewed = [c for c in conversations if rng.random() < 0.5]
    for conversation in reviewed:
        ratings = full_ratings(version)
        for code in ratings:
            ratings[code] = RatingInput(option_position=rng.randrange(3))
        submitted_review(conversation, cast.qa, ratings=ratings)
    submitted_review(reviewed[0], cast.manager, position=1)  # a second person's review
    save_review(conversation=reviewed[1], reviewer=cast.manager, source=Source.MANAGER,
                version=version, ratings=full_ratings(version), submit=False)  # fmt: skip
    for job in Job.objects.filter(conversation__in=reviewed[::3]):
        Job.objects.filter(pk=job.pk).update(confidence=0.3 + rng.random() / 10)
    return now


def python_pairs(period: Period, agents: list | None = None):
    """The rating pairs from the models, paired in Python: each rating (not N/A) of a
    review counting toward IQS of a conversation created in the period, with the option
    value of the same criterion key in AutoQA's scored review of the conversation and agent."""
    from collections import Counter

    from supportqa.reviews.models import Rating, Source

    machine = {}
    for rating in Rating.objects.filter(
        review__source=Source.AUTOQA, review__status__in=["submitted", "disputed", "final"],
        review__final_score__isnull=False, is_na=False,
    ).select_related("review", "criterion", "option"):  # fmt: skip
        review = rating.review
        machine[review.conversation_id, review.reviewee_id, rating.criterion.key] = (
            rating.option.value
        )
    by_key, per_conversation = {}, {}
    for review in Review.objects.counting_toward_iqs().select_related("conversation"):
        created = review.conversation.created_at
        if not period.start <= created < period.end:
            continue
        if agents is not None and review.reviewee_id not in agents:
            continue
        for rating in review.ratings.filter(is_na=False).select_related("criterion", "option"):
            ours = machine.get((review.conversation_id, review.reviewee_id, rating.criterion.key))
            if ours is None:
                continue
            by_key.setdefault(rating.criterion.key, Counter())[ours, rating.option.value] += 1
            counts = per_conversation.setdefault(review.conversation_id, [0, 0])
            counts[0] += ours == rating.option.value
            counts[1] += 1
    return by_key, per_conversation


def test_agreement_from_rollups_counts_every_pair_as_python_pairs_them(cast):
    """AutoQA's agreement with people and the unsure check come from their rollups: equal to
    the raw rows at any edges and scopes (everyone's rows for org-wide ones), to the pairs
    made in Python from the models, and to the t interval over the conversations' shares;
    a person's review, a rescoring of a reviewed conversation and a job's confidence mark
    the day, a rescoring of an unreviewed one does not."""
    from supportqa.autoqa import report
    from supportqa.autoqa.actions import UNSURE_BELOW, enqueue_changed, work
    from supportqa.autoqa.models import Job
    from supportqa.autoqa.rollups import AGREEMENT, UNSURE_CHECK
    from supportqa.core.intervals import mean_interval
    from tests.conftest import submitted_review

    now = agreement_world(cast, random.Random(29))
    rollups.current()
    assert rollups.check() == []
    moments = sorted(Conversation.objects.values_list("created_at", flat=True))
    half = timedelta(seconds=30)
    periods = [Period(now - timedelta(days=90), now), Period(moments[3] - half, now),
               Period(moments[10] + half, moments[-5] - half)]  # fmt: skip
    scopes = [(Q(), None), (Q(agent=cast.agent), [cast.agent.pk]),
              (Q(agent__in=[cast.teammate, cast.other_agent]),
               [cast.teammate.pk, cast.other_agent.pk])]  # fmt: skip
    checked = 0
    for period in periods:
        for scope, agents in scopes:
            for rollup, by in ((AGREEMENT, ("criterion_key", "ours", "theirs")),
                               (AGREEMENT, ("day", "agent_id")),
                               (UNSURE_CHECK, ("unsure",))):  # fmt: skip
                expected = without_zeros(raw_grouped(rollup, scope, period, by))
                found = without_zeros(rollups.grouped(rollup, scope, period, by))
                assert set(found) == set(expected), (rollup.table, period, scope)
                for key, row in expected.items():
                    assert found[key] == pytest.approx(row, abs=1e-9, rel=0)
            by_key, per_conversation = python_pairs(period, agents)
            figures = {a.key: a for a in report.agreement(scope, period)}
            assert set(figures) == set(by_key)
            for key, counted in by_key.items():
                assert figures[key].pairs == sum(counted.values())
                same = sum(n for (ours, theirs), n in counted.items() if ours == theirs)
                assert figures[key].exact.value == pytest.approx(100 * same / figures[key].pairs)
                checked += 1
            confidence = dict(Job.objects.values_list("conversation_id", "confidence"))
            shares = {True: [], False: []}
            for conversation, (same, rated) in per_conversation.items():
                if confidence.get(conversation) is not None:
                    shares[confidence[conversation] < UNSURE_BELOW].append(100.0 * same / rated)
            check = report.unsure_check(scope, period)
            for unsure, estimate in ((True, check.unsure), (False, check.sure)):
                wanted = mean_interval(shares[unsure])
                assert estimate.n == wanted.n
                for field in ("value", "low", "high"):
                    assert getattr(estimate, field) == pytest.approx(
                        getattr(wanted, field), abs=1e-9
                    ), (unsure, field)
    assert checked > 20
    # Marks: a person's review of a conversation marks its day and counts at once.
    DirtyDay.objects.all().delete()
    unreviewed = Conversation.objects.exclude(reviews__source="qa").order_by("pk")
    fresh = unreviewed.first()
    submitted_review(fresh, cast.qa, position=2)
    assert DirtyDay.objects.filter(kind="agreement", day=fresh.created_at.date()).exists()
    rollups.current()
    assert rollups.check() == []
    # AutoQA again: a reviewed conversation's day is marked, an unreviewed one's is not.
    DirtyDay.objects.all().delete()
    other = unreviewed.exclude(created_at__date=fresh.created_at.date()).last()
    Conversation.objects.filter(pk__in=[fresh.pk, other.pk]).update(content_hash="changed")
    assert enqueue_changed() == 2
    work("w")
    agreement_days = set(DirtyDay.objects.filter(kind="agreement").values_list("day", flat=True))
    assert agreement_days == {fresh.created_at.date()}
    rollups.current()
    # A confidence that crosses the threshold (unsure <-> sure) marks the day.
    was = Job.objects.get(conversation=fresh).confidence
    Job.objects.filter(conversation=fresh).update(confidence=0.99 if was < UNSURE_BELOW else 0.01)
    assert DirtyDay.objects.filter(kind="agreement", day=fresh.created_at.date()).exists()
    rollups.current()
    assert rollups.check() == []
