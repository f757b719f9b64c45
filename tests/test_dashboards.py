from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from supportqa.conversations.models import Category, Channel, Conversation
from supportqa.core import control as core_control
from supportqa.core import kpis
from supportqa.core.scoring import passed
from supportqa.reports import control, metrics
from supportqa.reviews.models import Review
from supportqa.surveys.models import SurveyResponse, SurveySent
from tests.conftest import make_conversation, submitted_review


def grow(cast, count: int) -> None:
    now = timezone.now()
    for i in range(count):
        agent = cast.agent if i % 2 else cast.teammate
        conversation = make_conversation(
            agent, cast.team, f"g{i}-{count}", created=now - timedelta(days=i % 20 + 1)
        )
        submitted_review(conversation, cast.qa, position=i % 3)
        sent = SurveySent.objects.create(
            conversation=conversation, agent=agent, team=cast.team, sent_at=now
        )
        SurveyResponse.objects.create(
            source="t",
            external_id=f"s{i}-{count}",
            survey=sent,
            conversation=conversation,
            agent=agent,
            team=cast.team,
            csat=1 + i % 5,
            nps=i % 11,
            ces=1 + i % 7,
            answered_at=now - timedelta(days=i % 20),
        )


# Per request, whatever the data size: session, user, the bell (one statement: the unread
# count, and whether any are about this page, marked read only then), then the page's own
# queries. Each rollup read is two statements: which of the period's partial days are
# marked, and one UNION ALL of the stored daily and hourly rows with the raw rows of the
# partial hours at the period's two ends (agent and team pages: five reads, three for the
# period and two for the previous period's panel, whose reviews are read with the period's);
# the medians, three (the marked days, the whole days' duration arrays, the partial days'
# raw durations); recomputing the days the growth marked (each recomputation first reads
# which days are marked), a delete and an insert per rollup, the staffing hours' too, for
# the conversations' rollup its hourly rows deleted and the days added up from them, and
# their duration arrays deleted, read and inserted; the agent page: its 360° view (the
# AutoQA column from its rollups; recomputing their marked days: per rollup, its daily and
# hourly rows each deleted and inserted), its AutoQA list one; its strengths and gaps share
# the breakdown's criterion sums, and their example ratings cost three more only when a
# criterion is placed, none here); the agents page: the agents, their reviews' score sums per
# reviewer, and the reviews of the conversations reviewed twice (the reviewer offsets' fit).
# The configuration's reads are kept (supportqa.configured): one read of its stamp instead,
# but for the AutoQA settings read inside the recomputation's transaction (never kept there).
# The conversation list reads the person's teams once (`access_key`), by which its filters'
# agents and teams are read through statements compiled once.
PINNED_QUERIES = {"conversation-list": 9, "team-detail": 38, "agent-detail": 71, "agent-list": 6}


def queries(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("page", ["conversation-list", "team-detail", "agent-detail", "agent-list"])
def test_query_count_does_not_grow_with_data(cast, page):
    args = {"team-detail": [cast.team.code], "agent-detail": [cast.agent.code]}.get(page, [])
    path = reverse(page, args=args)
    client = cast.client(cast.qa)
    queries(client, path)  # the first read of all stamps the rollups' settings,
    queries(client, path)  # which the next keeps with the other configuration reads
    grow(cast, 3)
    small = queries(client, path)
    grow(cast, 12)
    large = queries(client, path)
    assert small == large
    assert large == PINNED_QUERIES[page]


def test_team_panel_figures_match_the_data(cast):
    grow(cast, 10)
    response = cast.client(cast.lead).get(reverse("team-detail", args=[cast.team.code]))
    panel = response.context["panel"]
    scores = list(Review.objects.values_list("final_score", flat=True))
    assert panel.iqs.n == 10
    assert panel.iqs.value == pytest.approx(sum(scores) / len(scores))
    assert panel.csat.n == 10
    assert panel.csat.value == pytest.approx(40.0)  # csat 4 or 5 for i % 5 in {3, 4}
    assert panel.response_rate.value == pytest.approx(100.0)
    assert panel.volume == 12  # 10 grown + Team A's 2 cast conversations, all inside 90 days
    assert panel.first_response.median == 120
    trends = response.context["trends"]
    strata = response.context["strata"]
    assert sum(s.population for s in strata) == panel.volume
    assert sum(s.answered for s in strata) == response.context["bias"].raw.n == 10
    assert response.context["bias"].adjusted.value is not None
    assert sum(n for _, n in trends.volume) == panel.volume
    assert sum(estimate.n for _, estimate in trends.csat) == panel.csat.n
    assert sum(estimate.n for _, estimate in trends.iqs) == panel.iqs.n


def test_agent_page_shows_criterion_breakdown_with_intervals(cast):
    grow(cast, 6)
    response = cast.client(cast.agent).get(reverse("agent-detail", args=[cast.agent.code]))
    names = [name for name, _ in response.context["criteria"]]
    assert "Compliance with Procedures" in names
    body = response.content.decode()
    assert "95% CI" in body and "<svg" in body


def test_fcr_and_medians_from_sql_equal_the_core_formulas(cast, settings):
    """Random conversations through the importer (which maintains repeat contacts, also across
    batches), then the team panel's FCR, reopen rate and medians against supportqa.core."""
    settings.SUPPORTQA_IMPORT_BATCH = 7
    import json
    import random
    import statistics

    from supportqa.conversations.models import Conversation
    from supportqa.core import kpis
    from supportqa.integrations.importer import import_conversations

    rng = random.Random(3)
    now = timezone.now().replace(microsecond=0)
    lines = []
    for i in range(120):
        created = now - timedelta(days=rng.uniform(1, 60))
        resolved = created + timedelta(hours=rng.uniform(0.1, 90)) if rng.random() < 0.8 else None
        reply = created + timedelta(seconds=rng.randint(5, 4000))
        lines.append(
            json.dumps(
                {
                    "external_id": f"f{i}",
                    "agent": "agent",
                    "team": "Team A",
                    "category": rng.choice(["Billing inquiry", "Technical issue"]),
                    "customer": {"external_id": f"c{rng.randint(1, 25)}"},
                    "created_at": created.isoformat(),
                    "reopen_count": int(rng.random() < 0.1),
                    "resolved_at": resolved.isoformat() if resolved else None,
                    "messages": [
                        {"author_kind": "customer", "sent_at": created.isoformat(), "text": "q"},
                        {"author_kind": "agent", "sent_at": reply.isoformat(), "text": "a"},
                    ],
                }
            )
        )
    import_conversations("\n".join(lines).encode(), source="fcr")
    response = cast.client(cast.qa).get(reverse("team-detail", args=[cast.team.code]))
    panel = response.context["panel"]
    rows = list(
        Conversation.objects.filter(team=cast.team).values_list(
            "pk",
            "customer_id",
            "category_id",
            "created_at",
            "resolved_at",
            "reopen_count",
            "first_response_at",
        )
    )
    contacts = [
        kpis.Contact(str(pk), f"c{cu}" if cu else f"x{pk}", str(ca), cr, re, ro)
        for pk, cu, ca, cr, re, ro, _ in rows
    ]
    expected = kpis.first_contact_resolution(contacts, window_days=7)
    assert (panel.fcr.n, panel.fcr.value) == (expected.n, pytest.approx(expected.value))
    replies = [(r[6] - r[3]).total_seconds() for r in rows if r[6] is not None]
    assert panel.first_response.median == pytest.approx(statistics.median(replies))
    assert panel.first_response.mean == pytest.approx(statistics.fmean(replies))
    resolved = [r for r in rows if r[4] is not None]
    assert panel.reopen_rate.value == pytest.approx(
        100 * sum(1 for r in resolved if r[5]) / len(resolved)
    )
    assert panel.resolution.excluded == len(rows) - len(resolved)


def test_agent_list_labels_only_what_the_intervals_support(cast):
    for i in range(6):  # agent: all "Exceeds" (100); teammate: all "Below" (0, critical fail)
        submitted_review(make_conversation(cast.agent, cast.team, f"a{i}"), cast.qa, 0)
        submitted_review(make_conversation(cast.teammate, cast.team, f"t{i}"), cast.qa, 2)
    submitted_review(make_conversation(cast.other_agent, cast.other_team, "o1"), cast.qa, 1)
    response = cast.client(cast.qa).get(reverse("agent-list"))
    standings = {s.agent.username: s for s in response.context["standings"]}
    assert standings["agent"].comparison.label == "above"
    assert standings["teammate"].comparison.label == "below"
    assert standings["other"].comparison.label == "insufficient data"  # one review
    assert standings["other"].iqs.n == 1
    assert [s.agent.username for s in response.context["standings"]][:1] == ["agent"]
    body = response.content.decode()
    assert "above average" in body and "below average" in body


def test_strata_count_conversations_by_channel_category_and_outcome(cast):
    grow(cast, 14)
    categories = list(Category.objects.order_by("pk")[:2])
    team = Conversation.objects.filter(team=cast.team)
    for i, pk in enumerate(team.order_by("pk").values_list("pk", flat=True)):
        team.filter(pk=pk).update(
            channel=Channel.values[i % len(Channel.values)],
            category=categories[i % 2] if i % 3 else None,
            resolution_seconds=600 if i % 4 else None,
        )
    response = cast.client(cast.lead).get(reverse("team-detail", args=[cast.team.code]))
    expected = Counter(
        (c.channel, c.category.name if c.category else None, c.resolution_seconds is not None)
        for c in team.filter(created_at__gte=timezone.now() - timedelta(days=90))
    )
    strata = {s.key: s.population for s in response.context["strata"]}
    assert len(strata) > 8
    assert strata == expected


def test_weekly_iqs_uses_the_same_weighting_as_the_headline(cast):
    """One review at 100 sampled with π = 0.1 (weight 10) and one at 0 with π = 1: both the
    panel and that week's point are the Horvitz–Thompson mean 1000/11 = 90.9, not 50."""
    first = make_conversation(cast.agent, cast.team, "w1", created=timezone.now())
    second = make_conversation(cast.agent, cast.team, "w2", created=timezone.now())
    rare = submitted_review(first, cast.qa, position=0)
    submitted_review(second, cast.qa, position=2)
    Review.objects.filter(pk=rare.pk).update(inclusion_probability=0.1)
    page = cast.client(cast.lead).get(reverse("agent-detail", args=[cast.agent.code]))
    assert page.context["panel"].iqs.value == pytest.approx(1000 / 11)
    ((_, week),) = page.context["trends"].iqs
    assert week.value == pytest.approx(1000 / 11)


def test_pass_threshold_setting_is_the_default_of_new_scorecards(cast, settings):
    from supportqa.scorecards.actions import publish_version
    from supportqa.scorecards.building import spec_of
    from supportqa.scorecards.models import Scorecard

    settings.SUPPORTQA_PASS_THRESHOLD = 65
    scorecard = Scorecard.objects.get(slug="chat-quality")
    spec = spec_of(scorecard.current_version())
    spec.pop("pass_threshold")
    version = publish_version(scorecard=scorecard, spec=spec, by=cast.admin)
    assert version.pass_threshold == 65
    from supportqa.reports.templatetags.sqa import band

    assert (band(70), band(64), band(49), band(None)) == ("good", "mid", "bad", "none")


WEEKLY = [2, 3, 2, 1, 3, 2, 3, 2]


def _stepped_weeks(cast) -> tuple[metrics.Period, list]:
    """Twelve full weeks of the agent's conversations, each reviewed in its week: one to three
    a week, then six more a week for the last four (a real change in volume)."""
    now = timezone.now()
    period = metrics.Period(now - timedelta(days=90), now)
    mondays = control.full_weeks(period.weeks())
    for index, monday in enumerate(mondays):
        for j in range(WEEKLY[index % len(WEEKLY)] + (6 if index >= 8 else 0)):
            created = datetime.combine(monday, time(10), UTC) + timedelta(days=j % 5)
            conversation = make_conversation(
                cast.agent, cast.team, f"w{index}-{j}", created=created
            )
            review = submitted_review(conversation, cast.qa, position=(index + j) % 3)
            Review.objects.filter(pk=review.pk).update(submitted_at=created + timedelta(hours=2))
    return period, mondays


def test_control_charts_are_the_core_charts_of_the_raw_weekly_figures(cast):
    period, mondays = _stepped_weeks(cast)
    figures = metrics.dashboard(
        Q(team=cast.team), Review.objects.filter(conversation__team=cast.team), period
    )
    watched = {w.name: w for w in figures.watched}
    assert list(watched) == ["IQS", "Pass rate", "CSAT", "First response time", "Conversations"]
    assert len(mondays) >= 12

    def in_week(moment, monday):
        start = datetime.combine(monday, time(0), UTC)
        return start <= moment < start + timedelta(days=7)

    created = list(Conversation.objects.filter(team=cast.team).values_list("created_at", flat=True))
    volume = [sum(in_week(c, m) for c in created) for m in mondays]
    expected = core_control.individuals_chart([float(v) for v in volume], lowest=0.0)
    assert volume[:8] != [volume[0]] * 8  # ordinary ups and downs before the change
    assert watched["Conversations"].chart == expected
    assert watched["Conversations"].weeks == mondays

    reviews = list(
        Review.objects.values_list(
            "submitted_at", "final_score", "scorecard_version__pass_threshold"
        )
    )
    weekly = [[(s, t) for at, s, t in reviews if in_week(at, m)] for m in mondays]
    sizes = [len(week) for week in weekly if week]
    shares = [sum(passed(s, t) for s, t in week) / len(week) for week in weekly if week]
    assert watched["Pass rate"].chart == core_control.laney_chart(
        shares, sizes, lowest=0.0, highest=1.0
    )
    means = [sum(s for s, _ in week) / len(week) for week in weekly if week]
    expected_iqs = core_control.laney_chart(means, sizes, lowest=0.0, highest=100.0)
    assert [p.value for p in watched["IQS"].chart.points] == pytest.approx(means, abs=1e-9)
    assert [p.upper for p in watched["IQS"].chart.points] == pytest.approx(
        [p.upper for p in expected_iqs.points], abs=1e-9
    )

    # Eight a week after eight weeks of two: beyond the limits, and flagged as a real change.
    late = [s for s in watched["Conversations"].chart.signals if s.rule == 1]
    assert late and late[-1].last == len(mondays) - 1 and late[-1].direction == "up"
    # Every first reply takes two minutes: a flat line is no signal.
    assert watched["First response time"].chart.signals == ()
    # No survey answers: too few weeks for a chart, and the page says how many are missing.
    assert watched["CSAT"].chart is None and watched["CSAT"].shortfall == 8


def test_the_team_page_says_which_movements_are_real_changes(cast):
    _stepped_weeks(cast)
    client = cast.client(cast.lead)
    page = client.get(reverse("team-detail", args=[cast.team.code])).content.decode()
    section = page.split('id="real-change"', 1)[1].split("</section>", 1)[0]
    assert "Real change or noise?" in section
    conversations = section.split("Conversations</span>", 1)[1].split("</li>", 1)[0]
    assert (
        "real change" in conversations
        and "above the control limits: a real change" in conversations
    )
    assert 'class="dot signal"' in conversations
    assert "needs 8 more full weeks with data" in section  # CSAT: no answers
    short = client.get(reverse("team-detail", args=[cast.team.code]) + "?days=30")
    assert "choose a longer period" in short.content.decode()
    assert all(w.chart is None for w, _ in short.context["watched"])


def test_confidence_bands_stay_inside_the_axis():
    """A t interval of a few reviews reaches below 0% and above 100%: the band is drawn to
    the axis ends, never past them (PAD_TOP and HEIGHT - PAD_BOTTOM)."""
    import re
    from datetime import date

    from supportqa.core.intervals import Estimate
    from supportqa.reports import charts

    wide = Estimate(value=50.0, low=-40.0, high=140.0, n=2)
    svg = charts.line_with_band("IQS", [(date(2026, 11, 2), wide), (date(2026, 11, 9), wide)])
    band = re.search(r'class="band" points="([^"]+)"', svg).group(1)
    ys = [float(point.split(",")[1]) for point in band.split()]
    assert min(ys) == charts.PAD_TOP and max(ys) == charts.HEIGHT - charts.PAD_BOTTOM


def test_a_week_is_charted_day_by_day_and_longer_periods_week_by_week(cast):
    grow(cast, 6)
    client = cast.client(cast.lead)
    url = reverse("team-detail", args=[cast.team.code])
    week = client.get(url, {"days": "7"}).context
    assert week["trends"].unit == "day"
    days = [d for d, _ in week["trends"].volume]
    assert len(days) == 8 and days == sorted(days)  # the partial first and last UTC days
    assert sum(n for _, n in week["trends"].volume) == week["panel"].volume
    assert "Conversations per day" in str(week["volume_chart"])
    quarter = client.get(url, {"days": "90"}).context
    assert quarter["trends"].unit == "week"
    assert sum(n for _, n in quarter["trends"].volume) == quarter["panel"].volume


def test_the_csat_tile_and_the_survey_bias_card_count_the_same_answers(cast):
    """One survey population per figure: the surveys about the period's conversations. An
    answer given in the period about an older conversation counts in neither."""
    grow(cast, 10)
    old = make_conversation(
        cast.agent, cast.team, "old", created=timezone.now() - timedelta(days=200)
    )
    sent = SurveySent.objects.create(
        conversation=old, agent=cast.agent, team=cast.team, sent_at=timezone.now()
    )
    SurveyResponse.objects.create(
        source="t",
        external_id="late",
        survey=sent,
        conversation=old,
        agent=cast.agent,
        team=cast.team,
        csat=1,
        answered_at=timezone.now(),
    )
    page = cast.client(cast.lead).get(reverse("team-detail", args=[cast.team.code]))
    panel, bias = page.context["panel"], page.context["bias"]
    assert panel.csat.n == bias.raw.n == 10
    assert panel.csat.value == pytest.approx(bias.raw.scaled(100).value)
    assert "surveys about the conversations created in the period" in page.content.decode()


def test_figures_are_broken_down_by_channel_and_category(cast):
    """Each slice by the panel's formulas; the slices add up to the panel."""
    grow(cast, 12)
    Conversation.objects.filter(external_id__endswith="-12", external_id__startswith="g1").update(
        channel=Channel.EMAIL
    )
    page = cast.client(cast.lead).get(reverse("team-detail", args=[cast.team.code]))
    context = page.context
    panel = context["panel"]
    (_, _, channels), (_, _, categories) = context["breakdowns"]
    for slices in (channels, categories):
        assert sum(s.volume for _, s in slices) == panel.volume
        assert sum(s.iqs.n for _, s in slices) == panel.iqs.n
        assert sum(s.csat.n for _, s in slices) == panel.csat.n
    assert {name for name, _ in channels} == {"Chat", "Email"}
    email = next(s for name, s in channels if name == "Email")
    assert email.volume == Conversation.objects.filter(channel=Channel.EMAIL).count()
    assert "By channel and category" in page.content.decode()


def test_any_date_range_and_the_period_before_it(cast):
    """A custom range is whole days; the panel shows the figures of the period of the same
    length just before (here: only the older half of the data)."""
    grow(cast, 12)  # created 1 to 20 days ago
    # Some reviews were given in the period before (the two periods' reviews are read once).
    earlier_reviews = Review.objects.filter(conversation__external_id__in=["g0-12", "g3-12"])
    earlier_reviews.update(submitted_at=timezone.now() - timedelta(days=12))
    client = cast.client(cast.lead)
    url = reverse("team-detail", args=[cast.team.code])
    today = timezone.localdate()
    first, last = today - timedelta(days=9), today
    page = client.get(url, {"days": "custom", "from": first.isoformat(), "to": last.isoformat()})
    context = page.context
    assert context["days"] == "custom"
    assert context["period"].first_day == first and context["period"].last_day == last
    inside = Conversation.objects.filter(
        team=cast.team,
        created_at__gte=context["period"].start,
        created_at__lt=context["period"].end,
    ).count()
    before = context["period"].previous()
    earlier = Conversation.objects.filter(
        team=cast.team, created_at__gte=before.start, created_at__lt=before.end
    ).count()
    assert context["panel"].volume == inside and context["previous"].volume == earlier
    assert inside and earlier
    scored = Review.objects.counting_toward_iqs().filter(conversation__team=cast.team)
    for shown, period in ((context["panel"], context["period"]), (context["previous"], before)):
        scores = scored.filter(submitted_at__gte=period.start, submitted_at__lt=period.end)
        expected = kpis.iqs(list(scores.values_list("final_score", flat=True)))
        assert (shown.iqs.n, shown.iqs.value) == (expected.n, pytest.approx(expected.value))
    assert context["previous"].iqs.n == 2
    assert "before:" in page.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"days": "custom", "from": "2026-13-01", "to": "2026-01-02"},  # not a date
        {"days": "custom", "from": "2026-03-02", "to": "2026-03-01"},  # wrong order
        {"days": "custom", "from": "2030-01-01", "to": "2030-01-02"},  # the future
        {"days": "custom", "from": "2020-01-01", "to": "2026-01-01"},  # over two years
    ],
)
def test_a_bad_date_range_falls_back_to_the_default_period(cast, query):
    page = cast.client(cast.lead).get(reverse("team-detail", args=[cast.team.code]), query)
    assert page.status_code == 200 and page.context["days"] == "90"


def test_criterion_sums_by_id_add_up_across_chunks(cast, monkeypatch):
    """The pages pass the ids of the reviews they read; long lists go ID_CHUNK at a time (SQLite
    takes at most 32,766 parameters a statement) and their sums are added: the same figures as
    one read of the reviews by a query."""
    grow(cast, 10)
    period = metrics.Period(timezone.now() - timedelta(days=90), timezone.now())
    scored = metrics.scored_reviews(Review.objects.all(), period)
    whole = sorted(metrics.criterion_sums(scored))
    monkeypatch.setattr(metrics, "ID_CHUNK", 3)
    ids = list(scored.values_list("pk", flat=True))
    assert len(ids) > 3 and whole and sorted(metrics.criterion_sums(ids)) == whole
    assert metrics.criterion_sums([]) == []


def test_criterion_sums_place_a_criterion_the_kept_read_does_not_know(cast, monkeypatch):
    """A request's kept reads are those of its first configuration stamp: a criterion
    published since is read afresh, not a KeyError."""
    from supportqa.scorecards.models import Criterion

    grow(cast, 6)
    reviews = list(Review.objects.counting_toward_iqs().values_list("pk", flat=True))
    expected = metrics.criterion_sums(reviews)
    assert expected and expected == sorted(expected, key=lambda r: (r[0], r[2], r[1]))
    known = Criterion.placed(fresh=True)
    stale = staticmethod(lambda fresh=False: known if fresh else {})
    monkeypatch.setattr(Criterion, "placed", stale)
    assert metrics.criterion_sums(reviews) == expected
