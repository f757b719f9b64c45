"""Management reports (steps 17–18) and improvement actions (steps 19–20): their pages, the
PDF and the CSV. Scope: the teams whose pages the person may open (outside it: 404)."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_http_methods

from supportqa.accounts.access import teams_for
from supportqa.accounts.models import Role, User
from supportqa.accounts.permissions import allowed, may_see_team_reports
from supportqa.core.csvcells import csv_line
from supportqa.workflow import improvements, reporting
from supportqa.workflow.access import MAY_DO
from supportqa.workflow.models import ImprovementAction, ManagementReport, ReportSubscription
from supportqa.workflow.pdf import render_pdf


def may_report(user: User) -> bool:
    """Who writes and submits a team's report: the people who do a lead's steps."""
    return user.role in MAY_DO[Role.LEAD]


def _report(request: HttpRequest, code: str) -> ManagementReport:
    found = reporting.reports_for(request.user).filter(code=code).first()
    if found is None:
        raise Http404("No such report")
    return found


@allowed(may_see_team_reports)
@require_http_methods(["GET", "POST"])
def report_list(request: HttpRequest) -> HttpResponse:
    """The reports of the person's teams; a new report for a team and month; subscriptions."""
    user = request.user
    teams = teams_for(user)
    error = ""
    if request.method == "POST" and request.POST.get("action") == "subscribe":
        team = teams.filter(code=request.POST.get("team", "")).first()
        if team is None:
            raise Http404("No such team")
        if request.POST.get("on") == "1":
            ReportSubscription.objects.get_or_create(user=user, team=team)
            messages.success(request, f"You will receive {team}'s management reports by e-mail.")
        else:
            ReportSubscription.objects.filter(user=user, team=team).delete()
            messages.success(request, f"You no longer receive {team}'s management reports.")
        return redirect("management-report-list")
    if request.method == "POST":
        team = teams.filter(code=request.POST.get("team", "")).first()
        month = request.POST.get("month", "")
        try:
            day = date.fromisoformat(f"{month}-01")
        except ValueError:
            day = None
        if not may_report(user):
            error = "Only a lead or a manager writes a management report."
        elif team is None:
            error = "Choose the team."
        elif day is None:
            error = "Choose the month (YYYY-MM)."
        else:
            first, last = reporting.month_of(day)
            try:
                report = reporting.create(team, first, last, by=user)
            except reporting.ReportError as exc:
                error = str(exc)[:1].upper() + str(exc)[1:] + "."
            else:
                return redirect("management-report-detail", report.code)
    subscribed = set(ReportSubscription.objects.filter(user=user).values_list("team_id", flat=True))
    return render(
        request,
        "workflow/reports.html",
        {
            "reports": reporting.reports_for(user)[:200],
            "teams": [(team, team.pk in subscribed) for team in teams],
            "may_report": may_report(user),
            "month": request.POST.get("month") or timezone.localdate().strftime("%Y-%m"),
            "error": error,
            "nav": "management",
        },
        status=400 if error else 200,
    )


@allowed(may_see_team_reports)
@require_http_methods(["GET", "POST"])
def report_detail(request: HttpRequest, code: str) -> HttpResponse:
    report = _report(request, code)
    user = request.user
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        comment = request.POST.get("comment", "")
        try:
            if action == "submit" and may_report(user):
                reporting.submit(report, by=user, summary=request.POST.get("summary", ""))
                messages.success(request, "Submitted to management; the managers are told.")
            elif action in ("approve", "reject"):
                reporting.decide(report, by=user, approve=action == "approve", comment=comment)
                messages.success(
                    request,
                    "Approved; the requests reported in it move on."
                    if action == "approve"
                    else "Rejected with your reason; the lead is told and its requests go "
                    "back to “Report results to management”.",
                )
            else:
                raise reporting.ReportError("you may not do that here")
        except reporting.ReportError as exc:
            error = str(exc)[:1].upper() + str(exc)[1:]
        else:
            return redirect("management-report-detail", report.code)
        report.refresh_from_db()
    content = reporting.content_of(report)
    return render(
        request,
        "workflow/report.html",
        {
            "report": report,
            "content": content,
            "compiled_at": parse_datetime(content["compiled_at"]) if report.content else None,
            "tables": reporting.tables(content),
            "requests": reporting.linked_requests(report).select_related("conversation"),
            "may_submit": may_report(user)
            and report.state in (ManagementReport.State.DRAFT, ManagementReport.State.REJECTED),
            "may_decide": reporting.may_decide(user)
            and report.state == ManagementReport.State.SUBMITTED,
            "error": error,
            "typed": request.POST if error else {},
            "nav": "management",
        },
        status=400 if error else 200,
    )


@allowed(may_see_team_reports)
@require_GET
def report_pdf(request: HttpRequest, code: str) -> HttpResponse:
    report = _report(request, code)
    response = HttpResponse(render_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="management-report-{report.code}.pdf"'
    return response


@allowed(may_see_team_reports)
@require_GET
def report_csv(request: HttpRequest, code: str, table: str) -> StreamingHttpResponse:
    report = _report(request, code)
    found = [t for t in reporting.tables(reporting.content_of(report)) if t.key == table]
    if not found:
        raise Http404("No such table")
    rows = found[0].csv()
    response = StreamingHttpResponse((csv_line(row) for row in rows), content_type="text/csv")
    response["Content-Disposition"] = (
        f'attachment; filename="management-report-{report.code}-{table}.csv"'
    )
    return response


def actions_for(user: User) -> QuerySet[ImprovementAction]:
    """The actions of the person's teams, and the ones they own."""
    seen = Q(team__in=teams_for(user)) | Q(owner=user)
    if user.is_org_wide:
        seen |= Q(team__isnull=True)
    return ImprovementAction.objects.filter(seen).select_related("owner", "team", "request")


@allowed(may_see_team_reports)
@require_GET
def action_list(request: HttpRequest) -> HttpResponse:
    shown = request.GET.get("show", "open")
    actions = actions_for(request.user)
    if shown == "mine":
        actions = actions.filter(owner=request.user)
    elif shown == "done":
        actions = actions.filter(status=ImprovementAction.Status.DONE)
    else:
        shown = "open"
        actions = actions.filter(
            status__in=[ImprovementAction.Status.OPEN, ImprovementAction.Status.IN_PROGRESS]
        )
    rows = [
        (a, improvements.label_of(a.metric), improvements.effect(a) if shown == "done" else None)
        for a in actions[:200]
    ]
    return render(
        request,
        "workflow/actions.html",
        {"rows": rows, "show": shown, "today": timezone.localdate(), "nav": "improvements",
         "window_days": improvements.WINDOW.days},
    )  # fmt: skip


@allowed(may_see_team_reports)
@require_http_methods(["GET", "POST"])
def action_detail(request: HttpRequest, code: str) -> HttpResponse:
    action = actions_for(request.user).filter(code=code).first()
    if action is None:
        raise Http404("No such action")
    user = request.user
    may_update = action.owner_id == user.pk or reporting.may_decide(user)
    error = ""
    if request.method == "POST":
        if not may_update:
            raise Http404("No such action")
        try:
            improvements.set_status(
                action, request.POST.get("status", ""), by=user, note=request.POST.get("note", "")
            )
        except improvements.ActionError as exc:
            error = str(exc)[:1].upper() + str(exc)[1:]
        else:
            messages.success(request, f"The action is now “{action.get_status_display()}”.")
            return redirect("improvement-detail", action.code)
    return render(
        request,
        "workflow/action.html",
        {
            "action": action,
            "metric": improvements.label_of(action.metric),
            "effect": improvements.effect(action),
            "window_days": improvements.WINDOW.days,
            "may_update": may_update,
            "statuses": ImprovementAction.Status.choices,
            "error": error,
            "typed": request.POST.get("note", "") if error else "",
            "today": timezone.localdate(),
            "nav": "improvements",
        },
        status=400 if error else 200,
    )
