"""The management report (steps 17–18): a team's results for a period — KPIs with their
intervals, the overall-handling ratings, review results, disputes, root causes and the
improvement actions with their measured effect — reported by a lead and approved or rejected
by a manager at gate 4. One compilation (`compile_content`) and one list of tables (`tables`)
feed the page, the PDF, the CSV and the e-mail."""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from supportqa.accounts.access import teams_for
from supportqa.accounts.models import Role, Team, User
from supportqa.accounts.permissions import may_see_team_reports
from supportqa.audit.actions import record_event
from supportqa.conversations.models import Conversation
from supportqa.core.intervals import Estimate, clip
from supportqa.notifications.actions import absolute, notify
from supportqa.notifications.models import Kind, Mail
from supportqa.reports import causes, metrics
from supportqa.reports.periods import Period, whole_days
from supportqa.reports.templatetags.sqa import duration
from supportqa.reviews.models import Dispute, Review
from supportqa.scorecards.models import Criterion
from supportqa.workflow import improvements
from supportqa.workflow.access import MAY_DO
from supportqa.workflow.defaults import RATINGS
from supportqa.workflow.models import (
    ImprovementAction,
    ManagementReport,
    ReportSubscription,
    Request,
    StepKind,
    StepRecord,
)

State = ManagementReport.State


EARLIEST_YEAR = 2000


class ReportError(ValueError):
    """A report action the report's state does not allow, in words."""


def reports_for(user: User) -> QuerySet[ManagementReport]:
    """The reports of the teams the person sees (the team pages' rule)."""
    return ManagementReport.objects.filter(team__in=teams_for(user)).select_related("team")


def may_decide(user: User) -> bool:
    """Gate 4 is a manager's: the workflow's rule for a manager's step (MAY_DO)."""
    return user.is_active and user.role in MAY_DO[Role.MANAGER]


# --- periods ------------------------------------------------------------------------------


def month_of(day: date) -> tuple[date, date]:
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def last_complete(kind: str, today: date) -> tuple[date, date]:
    """The last whole month (or Monday-to-Sunday week) before `today`."""
    if kind == "week":
        monday = today - timedelta(days=today.weekday()) - timedelta(days=7)
        return monday, monday + timedelta(days=6)
    return month_of(today.replace(day=1) - timedelta(days=1))


def period_of(report: ManagementReport) -> Period:
    return whole_days(report.first_day, report.last_day)


# --- compiling ------------------------------------------------------------------------------


def _estimate(estimate: Estimate) -> dict[str, Any]:
    return {"value": estimate.value, "low": estimate.low, "high": estimate.high, "n": estimate.n}


def compile_content(report: ManagementReport, now: datetime | None = None) -> dict[str, Any]:
    """The report's figures as plain data (kept with the report when it is submitted)."""
    period = period_of(report)
    team = report.team
    reviews = Review.objects.filter(team=team)
    panel = metrics.panel(Q(team=team), reviews, period)
    kpis = [
        {"label": "Conversations", "value": panel.volume, "n": panel.volume, "unit": ""},
        *(
            {"label": label, "unit": unit, **_estimate(estimate)}
            for label, unit, estimate in (
                ("IQS", "", panel.iqs),
                ("Reviews passed", "%", panel.pass_rate),
                ("CSAT", "%", panel.csat),
                ("NPS", "", panel.nps),
                ("CES", "", panel.ces),
                ("Survey response rate", "%", panel.response_rate),
                ("First replies on time", "%", panel.first_reply_on_time),
                ("First-contact resolution", "%", panel.fcr),
                ("Reopened", "%", panel.reopen_rate),
            )
        ),
        {"label": "First reply, mean", "unit": "s", "value": panel.first_response.mean,
         "n": panel.first_response.n},
    ]  # fmt: skip
    in_period = Conversation.objects.filter(
        team=team, created_at__gte=period.start, created_at__lt=period.end
    )
    names = Criterion.latest_names()
    top_causes = causes.root_causes(in_period, reviews, names)[:10]
    ratings = Counter(
        record.data.get("choice")
        for record in StepRecord.objects.filter(
            request__conversation__team=team,
            step__key="evaluate",
            state=StepRecord.State.DONE,
            finished_at__gte=period.start,
            finished_at__lt=period.end,
        ).only("data")
    )
    disputes = Counter(
        Dispute.objects.filter(
            review__team=team,
            created_at__gte=period.start,
            created_at__lt=period.end,
        ).values_list("status", flat=True)
    )
    requests = Request.objects.filter(conversation__team=team)
    # Actions decided by the period's end: still open, done in it or measured into it.
    actions = ImprovementAction.objects.filter(team=team, created_at__lt=period.end).filter(
        Q(status__in=[ImprovementAction.Status.OPEN, ImprovementAction.Status.IN_PROGRESS])
        | Q(done_at__gte=period.start - improvements.WINDOW)
        | Q(created_at__gte=period.start)
    )
    return {
        "compiled_at": (now or timezone.now()).isoformat(),
        "team": team.name,
        "first_day": report.first_day.isoformat(),
        "last_day": report.last_day.isoformat(),
        "kpis": kpis,
        "handling": [{"rating": rating, "count": ratings.get(rating, 0)} for rating in RATINGS],
        "criteria": [
            {"criterion": name, **_estimate(clip(estimate, 0, 100))}
            for name, estimate in metrics.criterion_breakdown(reviews, period)
        ],
        "disputes": [
            {"status": label, "count": disputes.get(value, 0)}
            for value, label in Dispute.Status.choices
        ],
        "causes": [
            {"cause": row.label, "count": row.count, "share": row.share.value} for row in top_causes
        ],
        "requests": {
            "started": requests.filter(
                created_at__gte=period.start, created_at__lt=period.end
            ).count(),
            "open": requests.filter(state=Request.State.OPEN).count(),
            "sent_back": StepRecord.objects.filter(
                request__conversation__team=team,
                state=StepRecord.State.REJECTED,
                finished_at__gte=period.start,
                finished_at__lt=period.end,
            ).count(),
        },
        "actions": [_action(action, now) for action in actions.select_related("owner")],
    }


def _action(action: ImprovementAction, now: datetime | None) -> dict[str, Any]:
    measured = improvements.effect(action, now)
    row: dict[str, Any] = {
        "code": action.code,
        "area": action.area,
        "description": action.description,
        "owner": action.owner.name,
        "due": action.due.isoformat(),
        "status": action.get_status_display(),
        "metric": improvements.label_of(action.metric),
        "effect": None,
    }
    if measured is not None:
        row["effect"] = {
            "before": _estimate(measured.before),
            "after": _estimate(measured.after),
            "change": _estimate(measured.change.difference),
            "verdict": measured.change.label,
            "complete": measured.complete,
        }
    return row


# --- the tables the page, the PDF and the CSV show ------------------------------------------


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    header: list[str]
    rows: list[list[str]]
    # The CSV's columns when they differ from the page's: numbers as numbers (an interval as
    # its two bounds), for a spreadsheet.
    csv_header: list[str] | None = None
    csv_rows: list[list[Any]] | None = None

    def csv(self) -> list[list[Any]]:
        if self.csv_header is None or self.csv_rows is None:
            return [self.header, *self.rows]
        return [self.csv_header, *self.csv_rows]


def _number(value: Any, unit: str = "") -> str:
    if value is None:
        return "–"
    if unit == "s":
        return duration(value)
    return f"{value:.1f}{unit}" if isinstance(value, float) else f"{value}{unit}"


def _interval(item: dict[str, Any], unit: str = "") -> str:
    if item.get("low") is None or item.get("high") is None:
        return "–"
    return f"{item['low']:.1f} to {item['high']:.1f}{unit}"


def tables(content: dict[str, Any]) -> list[Table]:
    kpis = Table(
        "kpis", "KPIs with 95% intervals", ["KPI", "Value", "95% interval", "n"],
        [[k["label"], _number(k["value"], k["unit"]), _interval(k, k["unit"]), str(k["n"])]
         for k in content["kpis"]],
        ["KPI", "Unit", "Value", "95% low", "95% high", "n"],
        [[k["label"], k["unit"], k["value"], k.get("low"), k.get("high"), k["n"]]
         for k in content["kpis"]],
    )  # fmt: skip
    handling = Table(
        "handling",
        "Overall handling (step 14)",
        ["Rating", "Requests"],
        [[h["rating"], str(h["count"])] for h in content["handling"]],
    )
    criteria = Table(
        "criteria", "Review results by criterion (mean score 0–100)",
        ["Criterion", "Mean", "95% interval", "Ratings"],
        [[c["criterion"], _number(c["value"]), _interval(c), str(c["n"])]
         for c in content["criteria"]],
        ["Criterion", "Mean", "95% low", "95% high", "Ratings"],
        [[c["criterion"], c["value"], c.get("low"), c.get("high"), c["n"]]
         for c in content["criteria"]],
    )  # fmt: skip
    disputes = Table(
        "disputes", "Disputes raised in the period", ["Outcome", "Disputes"],
        [[d["status"], str(d["count"])] for d in content["disputes"]],
    )  # fmt: skip
    top = Table(
        "causes", "Top root causes", ["Root cause", "Times tagged", "Share"],
        [[c["cause"], str(c["count"]), _number(c["share"], "%")] for c in content["causes"]],
    )  # fmt: skip
    actions = Table(
        "actions",
        "Improvement actions",
        ["Area", "Action", "Owner", "Due", "Status", "Metric", "Before", "After", "Change"],
        [_action_row(a) for a in content["actions"]],
    )
    return [kpis, handling, criteria, disputes, top, actions]


def _action_row(action: dict[str, Any]) -> list[str]:
    effect = action["effect"]
    if effect is None:
        measured = ["–", "–", "measured when done"]
    else:
        change = effect["change"]
        said = effect["verdict"] if effect["complete"] else f"{effect['verdict']} (so far)"
        measured = [
            _number(effect["before"]["value"]),
            _number(effect["after"]["value"]),
            f"{_number(change['value'])} ({_interval(change)}): {said}",
        ]
    return [action["area"], action["description"], action["owner"], action["due"],
            action["status"], action["metric"], *measured]  # fmt: skip


def content_of(report: ManagementReport) -> dict[str, Any]:
    """What the report shows: as submitted (or as generated for its e-mail), else live."""
    return report.content or compile_content(report)


# --- the lifecycle --------------------------------------------------------------------------


def report_for_request(request: Request, *, by: User) -> ManagementReport:
    """The report a request's results go into (step 17): its team's report of this month; when
    that is already submitted or approved (its kept figures would not hold the request), a
    further part of the same month."""
    team = request.conversation.team
    if team is None:
        raise ReportError(
            "the conversation has no team: give it one, its results go into the team's report"
        )
    first, last = month_of(timezone.localdate(timezone=timezone.get_default_timezone()))
    create(team, first, last, by=by)
    # Locked: a manager deciding it meanwhile either sees this request in it or has decided
    # before it is added (then it goes into the next part).
    latest = (
        ManagementReport.objects.select_for_update()
        .filter(team=team, first_day=first, last_day=last)
        .order_by("-part")
        .first()
    )
    assert latest is not None
    if latest.state in (State.DRAFT, State.REJECTED):
        return latest
    further = ManagementReport.objects.create(
        team=team, first_day=first, last_day=last, part=latest.part + 1, created_by=by
    )
    record_event(actor=by, action="management_report.created", obj=further,
                 data={"team": team.name, "part": further.part})  # fmt: skip
    return further


def create(team: Team, first_day: date, last_day: date, *, by: User | None) -> ManagementReport:
    if last_day < first_day:
        raise ReportError("the period ends before it starts")
    if (last_day - first_day).days > 366:
        raise ReportError("a report covers at most a year")
    if not EARLIEST_YEAR <= first_day.year <= timezone.localdate().year + 1:
        raise ReportError(f"choose a period from {EARLIEST_YEAR} to next year")
    report, made = ManagementReport.objects.get_or_create(
        team=team, first_day=first_day, last_day=last_day, part=1, defaults={"created_by": by}
    )
    if made:
        record_event(actor=by, action="management_report.created", obj=report,
                     data={"team": team.name, "first_day": first_day.isoformat(),
                           "last_day": last_day.isoformat()})  # fmt: skip
    return report


def linked_requests(report: ManagementReport) -> QuerySet[Request]:
    """The requests whose step 17 put their results into this report (the current pass)."""
    return Request.objects.filter(
        records__step__key="report",
        records__state=StepRecord.State.DONE,
        records__data__report=report.code,
    ).distinct()


def submit(report: ManagementReport, *, by: User, summary: str) -> ManagementReport:
    """The lead submits the report to gate 4: its figures are compiled and kept; the managers
    are told."""
    with transaction.atomic():
        locked = ManagementReport.objects.select_for_update().get(pk=report.pk)
        if locked.state not in (State.DRAFT, State.REJECTED):
            raise ReportError(f"the report is already {locked.get_state_display().lower()}")
        if not summary.strip():
            raise ReportError("write the summary: what management should know of the period")
        locked.summary = summary.strip()
        locked.content = compile_content(locked)
        locked.state = State.SUBMITTED
        locked.submitted_by, locked.submitted_at = by, timezone.now()
        locked.decided_by, locked.decided_at, locked.decision_comment = None, None, ""
        locked.save()
        record_event(actor=by, action="management_report.submitted", obj=locked,
                     data={"summary": locked.summary})  # fmt: skip
        notify(
            users=User.objects.filter(role__in=MAY_DO[Role.MANAGER], is_active=True),
            kind=Kind.WORKFLOW_STEP,
            text=f"The management report of {locked} waits for your approval.",
            link=f"/management-reports/{locked.code}/",
            actor=by,
        )
    return locked


def decide(report: ManagementReport, *, by: User, approve: bool, comment: str) -> ManagementReport:
    """Gate 4: a manager approves or rejects the submitted report with a comment (a rejection
    needs one); the requests reported in it pass or are sent back with the same decision.
    Of two managers deciding at once, exactly one decision counts."""
    from supportqa.workflow.engine import WorkflowError, active_record, reported_in
    from supportqa.workflow.engine import decide as decide_gate

    if not may_decide(by):
        raise ReportError("only a manager decides a management report")
    if not approve and not comment.strip():
        raise ReportError("give the reason for the rejection: the lead reads it")
    with transaction.atomic():
        locked = ManagementReport.objects.select_for_update().get(pk=report.pk)
        if locked.state != State.SUBMITTED:
            who = f" by {locked.decided_by.name}" if locked.decided_by else ""
            raise ReportError(f"the report is {locked.get_state_display().lower()}{who}")
        if locked.submitted_by_id == by.pk:
            raise ReportError("you submitted this report: another manager decides it")
        locked.state = State.APPROVED if approve else State.REJECTED
        locked.decided_by, locked.decided_at = by, timezone.now()
        locked.decision_comment = comment.strip()
        locked.save()
        record_event(actor=by, action="management_report.decided", obj=locked,
                     data={"approved": approve, "comment": comment.strip()})  # fmt: skip
        for request in linked_requests(locked):
            current = active_record(request)
            if (
                current is None
                or current.step.kind != StepKind.APPROVAL
                or reported_in(request, current.step) != locked.code
            ):
                continue
            try:
                decide_gate(
                    request,
                    current.step.key,
                    by=by,
                    approve=approve,
                    via_report=True,
                    comment=comment.strip() or f"Management report {locked} approved",
                )
            except WorkflowError as exc:  # fmt: skip
                raise ReportError(f"request {request.code}: {exc}") from exc
        if locked.submitted_by is not None:
            verdict = "approved" if approve else f"rejected: {comment.strip()}"
            notify(
                users=[locked.submitted_by],
                kind=Kind.WORKFLOW_SENT_BACK if not approve else Kind.WORKFLOW_STEP,
                text=f"{by.name} {verdict} — management report of {locked}.",
                link=f"/management-reports/{locked.code}/",
                actor=by,
            )
    return locked


# --- scheduled generation -------------------------------------------------------------------


def _may_see(user: User, team: Team) -> bool:
    """A subscriber still sees the team's reports (their role or teams may have changed)."""
    return may_see_team_reports(user) and teams_for(user).filter(pk=team.pk).exists()


def run(
    kind: str, today: date, teams: list[Team] | None = None
) -> list[tuple[ManagementReport, int | None]]:
    """`supportqa report run`: each subscribed team's (or the teams given) report of the last
    whole month or week, compiled and e-mailed with its PDF to the team's subscribers; with
    each, how many mails were queued (None: mailed before — cron may run it as often as it
    likes)."""
    from supportqa.workflow.pdf import render_pdf

    first, last = last_complete(kind, today)
    if teams is None:
        teams = list(
            Team.objects.filter(pk__in=ReportSubscription.objects.values("team")).order_by("name")
        )
    done: list[tuple[ManagementReport, int | None]] = []
    for team in teams:
        with transaction.atomic():
            report = create(team, first, last, by=None)
            report = ManagementReport.objects.select_for_update().get(pk=report.pk)
            if report.mailed_at is not None:
                done.append((report, None))
                continue
            if not report.content:
                report.content = compile_content(report)
            subscribers = [
                s.user
                for s in ReportSubscription.objects.filter(
                    team=team, user__is_active=True
                ).select_related("user")
                if s.user.email and _may_see(s.user, team)
            ]
            pdf = render_pdf(report)
            Mail.objects.bulk_create(
                Mail(
                    user=user,
                    subject=f"SupportQA management report: {report}",
                    body=f"The management report of {report} is attached.\n\n"
                    f"Open it: {absolute(f'/management-reports/{report.code}/')}\n",
                    next_attempt_at=timezone.now(),
                    attachment_name=f"management-report-{report.code}.pdf",
                    attachment=pdf,
                )
                for user in subscribers
            )
            report.mailed_at = timezone.now()
            report.save(update_fields=["content", "mailed_at"])
            done.append((report, len(subscribers)))
    return done
