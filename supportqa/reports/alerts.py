"""Control-chart alerts: each team's IQS, pass rate, CSAT, first response time and volume on
their weekly charts (the team page's, reports.control), and for every signal whose run ends in
the latest full week, its leads told once (`supportqa control check`, weekly from cron)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from supportqa.accounts.access import leads_or_managers
from supportqa.accounts.models import Team
from supportqa.notifications.actions import notify
from supportqa.notifications.models import Kind
from supportqa.reports import metrics
from supportqa.reports.models import ControlAlert
from supportqa.reports.periods import Period
from supportqa.reviews.models import Review

WEEKS = 26  # the charts' span: half a year of full weeks


def check(today: date) -> list[ControlAlert]:
    """The new alerts of every team, each told to the team's leads (its managers when it has
    none) at once."""
    monday = today - timedelta(days=today.weekday())
    end = timezone.make_aware(datetime.combine(monday, time()))
    period = Period(end - timedelta(weeks=WEEKS), end)
    raised = []
    for team in Team.objects.order_by("name"):
        figures = metrics.dashboard(Q(team=team), Review.objects.filter(team=team), period)
        for watched in figures.watched:
            if watched.chart is None or not watched.weeks:
                continue
            latest = len(watched.chart.points) - 1
            for signal in watched.chart.episodes():
                if signal.last == latest:
                    alert = _raise(team, watched.name, watched.weeks[latest], signal.direction,
                                   f"{watched.when(signal)}: {signal.explanation}")  # fmt: skip
                    if alert is not None:
                        raised.append(alert)
    return raised


def _raise(team: Team, measure: str, week: date, direction: str, text: str) -> ControlAlert | None:
    try:
        with transaction.atomic():
            alert = ControlAlert.objects.create(
                team=team, measure=measure, week=week, direction=direction, explanation=text[:300]
            )
            notify(
                users=leads_or_managers(team),
                kind=Kind.CONTROL_SIGNAL,
                text=f"{team.name}, {measure.lower()}: {text}",
                link=reverse("team-detail", args=[team.code]) + "#real-change",
            )
    except IntegrityError:
        return None  # told already (or by another run a moment ago)
    return alert
