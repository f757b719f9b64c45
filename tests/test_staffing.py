"""The staffing plan: next week's hours forecast from the scope's conversations, Erlang C per
hour with the planner's assumptions, and who worked each hour lately."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from supportqa.conversations.models import Conversation, Message
from supportqa.core import erlang
from supportqa.reports.staffing import this_monday
from tests.conftest import make_conversation


@pytest.fixture
def busy_mornings(cast):
    return _busy_mornings(cast)


def _busy_mornings(cast):
    """Six weeks: every weekday 09:00–10:00 four conversations of the agent's, each answered
    by the agent (messages 2 minutes apart), and one at 15:00 answered by the teammate."""
    monday = this_monday(timezone.now())
    # The cast's own conversations were made 30 days ago at 09:00: on a Wednesday that is a
    # Monday morning of the weeks measured. Moved to noon, they stay out of the hours checked.
    noon = timedelta(hours=3)
    Message.objects.update(sent_at=F("sent_at") + noon)
    Conversation.objects.update(
        created_at=F("created_at") + noon, first_response_at=F("first_response_at") + noon
    )
    for week in range(1, 7):
        for day in range(5):
            base = monday - timedelta(weeks=week) + timedelta(days=day)
            for i in range(4):
                at = base + timedelta(hours=9, minutes=10 * i)
                make_conversation(cast.agent, cast.team, f"m{week}-{day}-{i}", created=at)
            make_conversation(
                cast.teammate, cast.team, f"a{week}-{day}", created=base + timedelta(hours=15)
            )
    return monday


def test_the_plan_forecasts_next_week_and_sizes_each_hour(cast, busy_mornings):
    query = {"handling_minutes": 10, "target_percent": 80, "target_seconds": 20,
             "max_occupancy": 85, "shrinkage": 30, "history_weeks": 8}  # fmt: skip
    page = cast.client(cast.manager).get(reverse("staffing"), query)
    assert page.status_code == 200
    plan = page.context["plan"]
    assert plan.week == busy_mornings + timedelta(weeks=1)
    assert [len(day) for day in plan.days] == [24] * 7
    monday_nine = plan.days[0][9]
    assert monday_nine.hour.at == plan.week + timedelta(hours=9)
    assert monday_nine.hour.mean == pytest.approx(4, rel=0.15)
    assert plan.days[0][3].hour.mean < 0.2 and plan.days[6][9].hour.mean < 0.2
    expected = erlang.required_agents(
        monday_nine.hour.mean,
        handling_seconds=600,
        interval_seconds=3600,
        target_level=0.8,
        target_seconds=20,
        max_occupancy=0.85,
        shrinkage=0.3,
    )
    assert monday_nine.staffing == expected
    # Worked: the agent answered every weekday 09:00 hour of the last four weeks.
    assert monday_nine.worked == pytest.approx(1.0)
    assert plan.days[0][15].worked == pytest.approx(1.0)  # the teammate
    assert plan.days[0][3].worked == 0
    title = f"Mon 09:00: {monday_nine.hour.mean:.1f} contacts (95% interval"
    assert title in page.content.decode() and "worked lately 1.0" in monday_nine.title
    assert plan.contacts == pytest.approx(sum(s.hour.mean for d in plan.days for s in d))
    assert plan.check.hours == 168 and plan.check.coverage > 0.8
    assert plan.history_weeks == 6  # eight asked for; the data start six weeks ago
    assert plan.check.daily_mape < 10  # the same four mornings every week: a near-exact fit


def test_the_plan_stays_in_scope_and_refuses_bad_assumptions(cast, busy_mornings):
    other = make_conversation(cast.other_agent, cast.other_team, "elsewhere", created=busy_mornings)
    Conversation.objects.filter(pk=other.pk).update(created_at=busy_mornings - timedelta(days=3))
    lead = cast.client(cast.lead).get(reverse("staffing"), {"team": cast.other_team.code})
    assert lead.status_code == 400  # not a team of the lead's: not a choice
    bad = cast.client(cast.manager).get(reverse("staffing"), {"target_percent": 100})
    assert bad.status_code == 400
    assert "less than or equal to 99.9" in bad.content.decode()
    assert bad.context["plan"] is None


def test_without_recent_conversations_the_page_says_so(cast):
    Message.objects.all().delete()
    Conversation.objects.all().delete()
    page = cast.client(cast.manager).get(reverse("staffing"))
    assert page.status_code == 200 and page.context["plan"] is None
    assert "no conversations in the last two full weeks" in page.content.decode()
