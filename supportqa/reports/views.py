from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from supportqa.accounts.access import (
    agents_for,
    get_agent_for_user,
    get_team_for_user,
    teams_for,
)
from supportqa.accounts.permissions import (
    allowed,
    may_manage_scorecards,
    may_see_team_reports,
    signed_in,
)
from supportqa.conversations.access import conversations_for, scope_of
from supportqa.core.csvcells import csv_line
from supportqa.reports import appraisal, areas, causes, charts, metrics, staffing, topics, validity
from supportqa.reports.forms import CauseFilter, ScopedForm, StaffingForm, TopicForm
from supportqa.reports.periods import PERIOD_CHOICES, period_from
from supportqa.reviews import three_sixty
from supportqa.reviews.access import reviews_for
from supportqa.reviews.models import Source
from supportqa.scorecards.models import Criterion, Scorecard

CONTROL_RULE_NAMES = {
    "western-electric": "Western Electric (a point beyond the limits; 2 of 3 far out, 4 of 5 "
    "out, or 8 in a row on one side)",
    "nelson": "Nelson's eight",
}


def _dashboard(
    request: HttpRequest, template: str, scope: Q, reviews, extra: dict, with_areas: bool = False
) -> HttpResponse:
    """An agent's or team's page; `with_areas`: also the strengths and areas below
    expectation, from the same criterion sums as the breakdown."""
    period, days = period_from(request)
    figures = metrics.dashboard(scope, reviews, period, with_previous=True)
    criterion_sums = metrics.criterion_sums(figures.reviews)
    panel, trend = figures.panel, figures.trends
    context = {
        "panel": panel,
        "previous": figures.previous,
        "trends": trend,
        "bias": figures.bias,
        "strata": figures.strata,
        "period": period,
        "days": days,
        "period_choices": PERIOD_CHOICES,
        "iqs_chart": charts.line_with_band(
            f"IQS per {trend.unit} with 95% interval", trend.iqs, unit="%"
        ),
        "csat_chart": charts.line_with_band(
            f"CSAT per {trend.unit} with 95% interval", trend.csat, unit="%"
        ),
        "volume_chart": charts.bars(f"Conversations per {trend.unit}", trend.volume, trend.unit),
        "criteria": metrics.criterion_estimates(criterion_sums),
        "areas": areas.placed(reviews, period, criterion_sums) if with_areas else None,
        "watched": [(w, charts.control_chart(w)) for w in figures.watched],
        "breakdowns": [
            ("Channels", "Channel", figures.by_channel),
            ("Categories", "Category", figures.by_category),
        ],
        "control_rules": CONTROL_RULE_NAMES[settings.SUPPORTQA_CONTROL_RULES],
        **extra,
    }
    return render(request, template, context)


@allowed(may_see_team_reports)
@require_GET
def agent_list(request: HttpRequest) -> HttpResponse:
    period, days = period_from(request)
    agents = list(agents_for(request.user).order_by("display_name", "username"))
    standings = appraisal.standings(request.user, agents, period)
    return render(
        request,
        "reports/agent_list.html",
        {
            "standings": standings,
            "days": days,
            "period_choices": PERIOD_CHOICES,
            "average": standings[0].average if standings else None,
        },
    )


@allowed(signed_in)
@require_GET
def agent_detail(request: HttpRequest, code: str) -> HttpResponse:
    agent = get_agent_for_user(request.user, code)
    reviews = reviews_for(request.user).filter(reviewee=agent)
    shown = reviews.scored().select_related(
        "reviewer", "conversation", "scorecard_version__scorecard"
    )
    recent = shown.counting_toward_iqs().order_by("-submitted_at")[:15]
    automatic = shown.filter(source=Source.AUTOQA).order_by("-submitted_at")[:5]
    period, _ = period_from(request)
    return _dashboard(
        request,
        "reports/agent_detail.html",
        scope_of(request.user) & Q(agent=agent),
        reviews,
        {
            "agent": agent,
            "recent": recent,
            "automatic": automatic,
            "teams": agent.teams.all(),
            # Whoever may open the agent's page may read all their reviews (agents_for and
            # reviewee_scope agree), so rolled-up sources need no narrower scope.
            "three_sixty": three_sixty.of_agent(reviews, agent, period.start, period.end),
        },
        with_areas=True,
    )


@allowed(may_see_team_reports)
@require_GET
def team_list(request: HttpRequest) -> HttpResponse:
    teams = teams_for(request.user).annotate(size=Count("memberships"))
    return render(request, "reports/team_list.html", {"teams": teams})


@allowed(may_see_team_reports)
@require_GET
def team_detail(request: HttpRequest, code: str) -> HttpResponse:
    team = get_team_for_user(request.user, code)
    members = team.memberships.select_related("user").order_by("-is_lead", "user__display_name")
    return _dashboard(
        request,
        "reports/team_detail.html",
        scope_of(request.user) & Q(team=team),
        reviews_for(request.user).filter(team=team),
        {"team": team, "members": members},
    )


@allowed(may_see_team_reports)
@require_GET
def cause_list(request: HttpRequest) -> HttpResponse:
    """Why we fail: the Pareto of root causes and the contact reasons, in the person's scope,
    narrowed by team, channel and criterion; each row opens the conversations behind it."""
    user = request.user
    names = Criterion.latest_names()
    form = CauseFilter(request.GET or None, teams=teams_for(user), criteria=names)
    period, days = period_from(request)
    values = form.values()
    conversations = form.narrow(conversations_for(user))
    in_period = conversations.filter(created_at__gte=period.start, created_at__lt=period.end)
    rows = causes.root_causes(in_period, reviews_for(user), names, values.get("criterion") or "")
    if request.GET.get("format") == "csv":
        return _cause_csv(rows)
    listing = _listing_link(period, values)
    reasons = causes.contact_reasons(scope_of(user) & form.condition(), period)
    return render(
        request,
        "reports/causes.html",
        {
            "form": form,
            "days": days,
            "period_choices": PERIOD_CHOICES,
            "rows": [(row, listing(cause=row.key, reviewed="yes")) for row in rows],
            "chart": charts.pareto_chart("Root causes, largest first", rows[:15]),
            "reasons": [(reason, listing(category=reason.code)) for reason in reasons],
            "csv_query": urlencode({**request.GET.dict(), "format": "csv"}),
            "vital_count": sum(1 for row in rows if row.vital),
            "total": sum(row.count for row in rows),
        },
    )


def _listing_link(period: metrics.Period, values: dict[str, Any]) -> Callable[..., str]:
    """Links to the conversation list over the period and the chosen team and channel,
    narrowed further."""
    scope = {
        "since": period.start.date().isoformat(),
        "until": period.end.date().isoformat(),
        **{k: values[k] for k in ("team", "channel") if values.get(k)},
    }
    listing = reverse("conversation-list")
    return lambda **more: f"{listing}?{urlencode({**scope, **more})}"


CAUSE_CSV = ["rank", "root_cause", "count", "share_percent", "share_low", "share_high",
             "cumulative_percent", "vital_few"]  # fmt: skip


def _cause_csv(rows: list[Any]) -> StreamingHttpResponse:
    lines = [csv_line(CAUSE_CSV)] + [
        csv_line(
            [
                rank,
                row.label,
                row.count,
                round(row.share.value, 2),
                round(row.share.low, 2),
                round(row.share.high, 2),
                round(row.cumulative, 2),
                row.vital,
            ]
        )
        for rank, row in enumerate(rows, start=1)
    ]
    response = StreamingHttpResponse(iter(lines), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="supportqa-root-causes-{stamp}.csv"'
    return response


@allowed(may_see_team_reports)
@require_GET
def staffing_plan(request: HttpRequest) -> HttpResponse:
    """Next week's forecast contacts and agents per hour (Erlang C), beside the agents who
    worked each hour lately, for the conversations in the person's scope."""

    def plan(_: Any, values: dict[str, Any]) -> staffing.Plan:
        assumptions = staffing.Assumptions(
            handling_seconds=values["handling_minutes"] * 60,
            target_level=values["target_percent"] / 100,
            target_seconds=values["target_seconds"],
            max_occupancy=values["max_occupancy"] / 100,
            shrinkage=values["shrinkage"] / 100,
            history_weeks=values["history_weeks"],
        )
        return staffing.plan(scope_of(request.user) & form.condition(), assumptions)

    form = StaffingForm(request.GET or None, teams=teams_for(request.user))
    return _analysis(request, form, "reports/staffing.html", "plan", plan, hours=range(24))


@allowed(may_manage_scorecards)
@require_GET
def scorecard_validity(request: HttpRequest, slug: str) -> HttpResponse:
    """Beside a scorecard: each criterion's spread and which criteria predict the customer's
    outcome."""
    scorecard = Scorecard.objects.filter(slug=slug).first()
    if scorecard is None:
        raise Http404("No such scorecard")
    return render(
        request,
        "reports/validity.html",
        {
            "validity": validity.scorecard_validity(scorecard),
            "outcomes": list(validity.OUTCOMES.items()),
        },
    )


@allowed(may_see_team_reports)
@require_GET
def topic_list(request: HttpRequest) -> HttpResponse:
    """Topics in what customers write, the emerging ones, and knowledge-base gap candidates."""

    def report(conversations: Any, values: dict[str, Any]) -> topics.TopicReport:
        end = staffing.this_monday(timezone.now())
        scope = scope_of(request.user) & form.condition()
        return topics.topic_report(conversations, scope, end, values["weeks"], values["topics"])

    form = TopicForm(request.GET or None, teams=teams_for(request.user))
    weeks = form.values().get("weeks")
    return _analysis(request, form, "reports/topics.html", "report", report, weeks=weeks)


def _analysis(
    request: HttpRequest,
    form: ScopedForm,
    template: str,
    name: str,
    compute: Callable[[Any, dict[str, Any]], Any],
    **context: Any,
) -> HttpResponse:
    """A page computed from the conversations in the person's scope narrowed by the form:
    shown as `name`, or None with the reason the data cannot support it (`problem`); a form
    that does not validate is answered 400 with its errors."""
    result, problem = None, ""
    if not form.errors:
        try:
            result = compute(form.narrow(conversations_for(request.user)), form.values())
        except ValueError as why:
            problem = str(why)
    return render(
        request,
        template,
        {"form": form, name: result, "problem": problem, **context},
        status=400 if form.errors else 200,
    )
