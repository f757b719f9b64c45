"""What each person finds on their home page: one function per role's cards, each reading
only what that person may see (the same access helpers as the pages the cards link to)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, DateTimeField, Q, QuerySet
from django.utils import timezone

from supportqa.accounts.access import agents_for, count_in_scope, read_in_scope, teams_for
from supportqa.accounts.models import AGENT_ROLES, ORG_WIDE_ROLES, Role, User
from supportqa.assignments.access import cycles_for, queue_left, waiting_items
from supportqa.assignments.models import AssignmentItem
from supportqa.autoqa.models import Job
from supportqa.calibration.models import CalibrationSession
from supportqa.calibration.results import alignment_of
from supportqa.conversations.access import scope_of
from supportqa.integrations.models import ImportRun
from supportqa.notifications.models import Mail
from supportqa.reports import charts, metrics
from supportqa.reports.appraisal import standings
from supportqa.reports.periods import Period
from supportqa.reviews.access import reviews_for
from supportqa.reviews.actions import dispute_deadline
from supportqa.reviews.models import Dispute, Review, ReviewStatus, Source
from supportqa.statements import Slots

SHOWN = 8  # rows per list; each card links to the full page


def kept(user: User, name: str, build: Callable[[Slots], QuerySet[Any]], **values: Any) -> Any:
    """A card's list (`read_in_scope`)."""
    return read_in_scope(user, f"home: {name}", build, **values)


@dataclass
class AgentCards:
    panel: metrics.Panel
    iqs_chart: str
    unit: str  # the chart's points: "day" or "week"
    to_acknowledge: list[tuple[Review, Any]]  # with the date until which it can be disputed
    waiting: int  # how many wait for acknowledgement (SHOWN at most are listed)
    disputes: list[Dispute]
    critical: list[Review]
    human: list[Review]
    autoqa: list[Review]


def agent_cards(user: User, period: Period) -> AgentCards:
    mine = reviews_for(user).filter(reviewee=user)
    figures = metrics.dashboard(scope_of(user) & Q(agent=user), mine, period)

    def recent() -> QuerySet[Review]:
        return mine.scored().select_related("reviewer", "conversation", "scorecard_version")

    def waiting() -> QuerySet[Review]:
        return (
            recent()
            .counting_toward_iqs()
            .filter(status=ReviewStatus.SUBMITTED, acknowledged_at__isnull=True)
        )

    shown = kept(user, "to acknowledge", lambda slots: waiting()[:SHOWN])
    return AgentCards(
        panel=figures.panel,
        iqs_chart=charts.line_with_band(
            f"IQS per {figures.trends.unit} with 95% interval", figures.trends.iqs, unit="%"
        ),
        unit=figures.trends.unit,
        to_acknowledge=[(r, dispute_deadline(r)) for r in shown],
        # Counted only when the list is full: fewer shown are all there are.
        waiting=len(shown) if len(shown) < SHOWN else waiting().count(),
        disputes=kept(
            user,
            "disputes raised",
            lambda slots: Dispute.objects.filter(
                raised_by=user, status=Dispute.Status.OPEN
            ).select_related("review__conversation", "review__reviewer"),
        ),
        critical=kept(
            user,
            "critical",
            lambda slots: recent().filter(
                critical_failed=True, submitted_at__gte=slots("since", DateTimeField())
            )[:SHOWN],
            since=period.start,
        ),
        human=kept(user, "human", lambda slots: recent().counting_toward_iqs()[:SHOWN]),
        autoqa=kept(user, "autoqa", lambda slots: recent().filter(source=Source.AUTOQA)[:SHOWN]),
    )


@dataclass
class ReviewerCards:
    queue_left: int
    queue_done: int
    next_item: AssignmentItem | None  # with its assignment (when it is due)
    disputes: list[Dispute]
    calibrations: list[CalibrationSession]  # open sessions the person still has to review
    alignment: tuple[CalibrationSession, float] | None  # the latest revealed session's


def reviewer_cards(user: User) -> ReviewerCards:
    first = kept(
        user,
        "next in queue",
        lambda slots: waiting_items(user).select_related("conversation__agent", "assignment")[:1],
    )
    return ReviewerCards(
        queue_left=queue_left(user),
        queue_done=count_in_scope(
            user,
            "home: queue done",
            lambda slots: AssignmentItem.objects.filter(
                assignment__reviewer=user, review__isnull=False
            ).values("pk"),
        ),
        next_item=first[0] if first else None,
        disputes=kept(
            user,
            "disputes to answer",
            lambda slots: Dispute.objects.filter(
                review__reviewer=user, status=Dispute.Status.OPEN
            ).select_related("review__conversation", "raised_by")[:SHOWN],
        ),
        calibrations=_calibrations_due(user),
        alignment=_alignment(user),
    )


def _calibrations_due(user: User) -> list[CalibrationSession]:
    """Open sessions the person joined with conversations they have not yet submitted."""

    def joined(slots: Slots) -> QuerySet[CalibrationSession]:
        return (
            CalibrationSession.objects.filter(
                participants=user, status=CalibrationSession.Status.OPEN
            )
            .annotate(
                size=Count("conversations", distinct=True),
                done=Count(
                    "reviews",
                    filter=Q(reviews__reviewer=user) & ~Q(reviews__status=ReviewStatus.DRAFT),
                    distinct=True,
                ),
            )
            .order_by("created_at")
        )

    return [s for s in kept(user, "calibrations", joined) if s.done < s.size]


def _alignment(user: User) -> tuple[CalibrationSession, float] | None:
    """The person's agreement with the reference in the latest revealed session they joined."""
    latest = kept(
        user,
        "latest revealed calibration",
        lambda slots: (
            CalibrationSession.objects.filter(
                participants=user,
                status=CalibrationSession.Status.REVEALED,
                baseline__isnull=False,
            )
            .exclude(baseline=user)
            .order_by("-revealed_at")[:1]
        ),
    )
    if not latest:
        return None
    share = alignment_of(latest[0], user.pk)
    return None if share is None else (latest[0], share)


@dataclass
class TeamCards:
    by: str  # "agent" (a lead's agents) or "team" (every team, for org-wide roles)
    rows: list[dict[str, Any]]
    disputes: list[Dispute]
    cycles: list[dict[str, Any]]


def team_cards(user: User, period: Period) -> TeamCards:
    reviews = reviews_for(user)
    by = "team" if user.role in ORG_WIDE_ROLES else "agent"
    figures = metrics.roster(scope_of(user), reviews, period, by)
    return TeamCards(
        by=by,
        rows=_team_rows(user, figures) if by == "team" else _agent_rows(user, figures, period),
        disputes=kept(
            user,
            "disputes to decide",
            lambda slots: (
                Dispute.objects.filter(status=Dispute.Status.OPEN, review__in=reviews)
                .exclude(raised_by=user)
                .select_related("review__conversation", "review__reviewer", "raised_by")
                .order_by("created_at")[:SHOWN]
            ),
        ),
        cycles=_cycle_progress(user),
    )


def _team_rows(user: User, figures: dict[int | None, metrics.RosterRow]) -> list[dict[str, Any]]:
    teams = kept(user, "teams", lambda slots: teams_for(user).order_by("name"))
    return [{"team": team, "figures": figures.get(team.pk)} for team in teams]


def _agent_rows(
    user: User, figures: dict[int | None, metrics.RosterRow], period: Period
) -> list[dict[str, Any]]:
    """A lead's agents with the standings' IQS and its comparison (the one rule that flags
    an agent only where the interval allows)."""
    agents = kept(
        user, "agents", lambda slots: agents_for(user).order_by("display_name", "username")
    )
    by_agent = {s.agent.pk: s for s in standings(user, agents, period)}
    return [{"agent": a, "standing": by_agent[a.pk], "figures": figures.get(a.pk)} for a in agents]


def _cycle_progress(user: User) -> list[dict[str, Any]]:
    """Each active cycle's current batches: assigned, reviewed, when due."""

    def active(slots: Slots) -> QuerySet[Any]:
        now = slots("now", DateTimeField())
        return (
            cycles_for(user)
            .filter(is_active=True)
            .annotate(
                assigned=Count("assignments__items", filter=Q(assignments__due_at__gte=now)),
                reviewed=Count(
                    "assignments__items",
                    filter=Q(
                        assignments__due_at__gte=now, assignments__items__review__isnull=False
                    ),
                ),
            )
            .order_by("name")
        )

    return [
        {"cycle": c, "assigned": c.assigned, "reviewed": c.reviewed}
        for c in kept(user, "cycles", active, now=timezone.now())
    ]


@dataclass
class AdminCards:
    imports: list[ImportRun]
    jobs: dict[str, int] = field(default_factory=dict)
    imports_queued: int = 0
    mails: dict[str, int] = field(default_factory=dict)
    without_team: list[User] = field(default_factory=list)


def admin_cards() -> AdminCards:
    return AdminCards(
        imports=list(ImportRun.objects.order_by("-pk")[:5]),
        jobs=_by_status(
            Job.objects.filter(
                status__in=[Job.Status.PENDING, Job.Status.RUNNING, Job.Status.FAILED]
            )
        ),
        imports_queued=ImportRun.objects.filter(status=ImportRun.Status.QUEUED).count(),
        mails=_by_status(Mail.objects.filter(status__in=[Mail.Status.QUEUED, Mail.Status.FAILED])),
        without_team=list(
            User.objects.filter(
                is_active=True,
                role__in=[*AGENT_ROLES, Role.LEAD],
                memberships__isnull=True,
            ).order_by("display_name", "username")[:20]
        ),
    )


def _by_status(rows: QuerySet[Any]) -> dict[str, int]:
    return dict(rows.values_list("status").annotate(n=Count("pk")).order_by())
