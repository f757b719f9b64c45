"""Control-chart alerts through notifications (issue #11 §4): a real change that ends in the
last full week reaches the team's leads once; ordinary weeks raise nothing."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from supportqa.notifications.models import Kind, Notification
from supportqa.reports.alerts import check
from supportqa.reports.models import ControlAlert
from tests.conftest import make_conversation


def weekly(cast, counts: list[int]) -> None:
    """Conversations of the agent's team: counts[i] in the i-th full week before this one."""
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    for back, count in zip(range(len(counts), 0, -1), counts, strict=True):
        start = timezone.make_aware(datetime.combine(monday - timedelta(weeks=back), time(10)))
        for i in range(count):
            make_conversation(cast.agent, cast.team, f"w{back}-{i}", messages=0,
                              created=start + timedelta(hours=i))  # fmt: skip


def test_a_jump_in_the_last_full_week_reaches_the_leads_once(cast):
    weekly(cast, [10, 11, 9, 10, 12, 10, 9, 11, 10, 40])
    alerts = check(timezone.localdate())
    assert [(a.team, a.measure, a.direction) for a in alerts] == [
        (cast.team, "Conversations", "up")
    ]
    told = Notification.objects.filter(kind=Kind.CONTROL_SIGNAL)
    assert list(told.values_list("user__username", flat=True)) == ["lead"]
    assert "Team A, conversations" in told.get().text
    assert check(timezone.localdate()) == []  # once
    out = StringIO()
    call_command("control", "check", stdout=out)
    assert out.getvalue().startswith("0 new alert(s)")


def test_ordinary_weeks_raise_nothing(cast):
    weekly(cast, [10, 13, 8, 11, 12, 9, 10, 12, 9, 10])
    assert check(timezone.localdate()) == [] and not ControlAlert.objects.exists()
