"""Improvement actions (steps 19–20) and whether they worked: the metric each should move,
measured over the weeks before the action was decided and the weeks after it was done, with
the difference's interval (`core.change`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from supportqa.accounts.access import seeing_team
from supportqa.accounts.models import Team, User
from supportqa.audit.actions import record_event
from supportqa.core.change import Verdict, difference_of_means, difference_of_shares, verdict
from supportqa.core.intervals import Estimate
from supportqa.reports import metrics
from supportqa.reports.periods import Period
from supportqa.reviews.models import Review
from supportqa.workflow.access import person_from
from supportqa.workflow.models import ImprovementAction, Request

# How long before and after an action its metric is measured.
WINDOW = timedelta(days=28)


# The metrics an action may be measured by: the dashboards' own KPIs (reports.metrics.KPIS).
METRICS = metrics.KPIS
METRIC_CHOICES = [(key, metric.label) for key, metric in METRICS.items()]


def owners_for(team: Team | None) -> QuerySet[User]:
    """Who may own an action of this team: the people who see its pages (so the owner can
    open the action and its measurement). The form lists them and the check reads them."""
    return seeing_team(team).order_by("display_name", "username")


def label_of(key: str) -> str:
    return METRICS[key].label if key in METRICS else key


class ActionError(ValueError):
    """An action that cannot be recorded, in words."""


@dataclass(frozen=True)
class Effect:
    metric: str
    before: Estimate
    after: Estimate
    change: Verdict
    before_period: Period
    after_period: Period
    complete: bool  # the after window has run its full length

    @property
    def measuring(self) -> bool:
        return not self.complete


def _scope(team: Team | None) -> tuple[Q, Any]:
    if team is None:
        return Q(), Review.objects.all()
    return Q(team=team), Review.objects.filter(team=team)


def _successes(estimate: Estimate) -> int:
    return round((estimate.value or 0) / 100 * estimate.n)


def effect(action: ImprovementAction, now: datetime | None = None) -> Effect | None:
    """The action's metric before (the window ending when it was decided) and after (the
    window starting when it was done, up to now), and the change (None until it is done)."""
    if action.done_at is None or action.metric not in METRICS:
        return None
    now = now or timezone.now()
    metric = METRICS[action.metric]
    before_period = Period(action.created_at - WINDOW, action.created_at)
    after_end = min(action.done_at + WINDOW, now)
    after_period = Period(action.done_at, max(after_end, action.done_at))
    scope, reviews = _scope(action.team)
    before = metric.of(metrics.panel(scope, reviews, before_period))
    after = metric.of(metrics.panel(scope, reviews, after_period))
    if metric.share:
        difference = difference_of_shares(
            _successes(after), after.n, _successes(before), before.n
        ).scaled(100)
    else:
        difference = difference_of_means(after, before)
    return Effect(
        action.metric,
        before,
        after,
        verdict(difference, higher_is_better=metric.higher_is_better),
        before_period,
        after_period,
        complete=action.done_at + WINDOW <= now,
    )


def create_actions(
    request: Request, areas: list[str], form: dict[str, str], *, by: User
) -> list[ImprovementAction]:
    """The actions step 20 records, one per area chosen at step 19: what is to be done, its
    owner, its due date and its metric, each checked (the error names the area and field)."""
    made = []
    now = timezone.now()
    team = request.conversation.team
    for number, area in enumerate(areas, start=1):
        prefix = f"action-{number}-"
        description = form.get(prefix + "description", "").strip()
        if not description:
            raise ActionError(f"{area}: say what is to be done")
        if len(description) > 2000:
            raise ActionError(f"{area}: say what is to be done in at most 2,000 characters")
        owner = person_from(form.get(prefix + "owner", ""))
        if owner is not None and not owners_for(team).filter(pk=owner.pk).exists():
            owner = None
        if owner is None:
            raise ActionError(f"{area}: choose its owner")
        try:
            due = date.fromisoformat(form.get(prefix + "due", ""))
        except ValueError:
            raise ActionError(f"{area}: give its due date (YYYY-MM-DD)") from None
        if due < timezone.localdate():
            raise ActionError(f"{area}: the due date {due:%d %b %Y} has passed")
        metric = form.get(prefix + "metric", "")
        if metric not in METRICS:
            raise ActionError(f"{area}: choose the metric it should move")
        made.append(
            ImprovementAction(
                request=request,
                team=team,
                area=area,
                description=description,
                owner=owner,
                due=due,
                metric=metric,
                created_at=now,
            )
        )
    ImprovementAction.objects.bulk_create(made)
    for action in made:
        record_event(
            actor=by,
            action="improvement.created",
            obj=action,
            data={"area": action.area, "metric": action.metric, "due": action.due.isoformat(),
                  "owner": action.owner.username, "request": request.code},
        )  # fmt: skip
    return made


def set_status(action: ImprovementAction, status: str, *, by: User, note: str = "") -> None:
    """Move an action on; done needs what was done, and starts its 'after' window."""
    if status not in ImprovementAction.Status.values:
        raise ActionError("choose a status")
    if status == ImprovementAction.Status.DONE and not note.strip():
        raise ActionError("say what was done: the report and the measurement read it")
    with transaction.atomic():
        locked = ImprovementAction.objects.select_for_update().get(pk=action.pk)
        if locked.status == status:
            return
        if locked.status == ImprovementAction.Status.DONE:
            raise ActionError(
                "the action is done: its measurement runs from when it was done; record "
                "further work as a new action"
            )
        locked.status = status
        locked.done_at = timezone.now() if status == ImprovementAction.Status.DONE else None
        if note.strip():
            locked.note = note.strip()
        locked.save(update_fields=["status", "done_at", "note"])
        record_event(
            actor=by, action="improvement.status", obj=locked,
            data={"status": status, "note": note.strip()},
        )  # fmt: skip
    action.refresh_from_db()
