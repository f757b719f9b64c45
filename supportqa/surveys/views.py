"""Survey pages: the customer's public answer page (no login), the quality team's overview,
a bad score's follow-up, sending a conversation's survey, and the help desk's links."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from supportqa.accounts.models import Organisation
from supportqa.accounts.permissions import (
    allowed,
    anyone,
    may_follow_up_surveys,
    may_run_surveys,
    may_see_survey_links,
)
from supportqa.accounts.throttle import over_limit
from supportqa.audit.actions import record_event
from supportqa.bulk import in_one_transaction
from supportqa.conversations.access import get_conversation_for_user
from supportqa.core.csvcells import in_pieces
from supportqa.core.kpis import response_rate
from supportqa.middleware import client_ip
from supportqa.surveys import actions
from supportqa.surveys.access import answers_for, follow_ups_for, get_follow_up_for_user, sent_for
from supportqa.surveys.language import day, first_name, texts
from supportqa.surveys.models import FollowUp, SurveyResponse, SurveySent, Template

# --- the customer's page ------------------------------------------------------------------------


@allowed(anyone)
@login_not_required
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The page a survey link opens: the scores, then the question their answer calls for
    and a comment, then thanks; a second visit shows the answers given. Altered, expired and
    replayed links get a page saying so (404, 410, 409); too many requests from one address
    a 429."""
    survey = actions.survey_from_token(token)
    language = survey.template.language if survey and survey.template else "en"
    limit = settings.SUPPORTQA_SURVEY_RATE_PER_MINUTE
    if over_limit(f"survey:{client_ip(request)}", limit):
        return _notice(request, language, "limited", 429)
    if survey is None or survey.template is None:
        return _notice(request, language, "invalid", 404)
    response = getattr(survey, "response", None)
    expired = survey.expires_at is not None and survey.expires_at <= timezone.now()
    if response is None and expired:
        return _notice(request, language, "expired", 410, days=survey.template.link_days)
    if survey.opened_at is None:
        SurveySent.objects.filter(pk=survey.pk, opened_at__isnull=True).update(
            opened_at=timezone.now()
        )
    if request.method == "POST":
        return _answer_post(request, survey, response, expired)
    return _survey_page(request, survey, response, expired)


def _answer_post(
    request: HttpRequest, survey: SurveySent, response: SurveyResponse | None, expired: bool
) -> HttpResponse:
    step = request.POST.get("step")
    if step == "scores":
        if response is not None:
            return _survey_page(request, survey, response, expired, status=409)
        scores, errors = _scores(request, survey)
        if errors:
            return _survey_page(request, survey, None, expired, errors=errors, status=400)
        try:
            actions.record_answer(survey=survey, **scores)
        except actions.SurveyError:  # answered (or expired) a moment ago in another tab
            survey = actions.survey_from_token(_token_of(request)) or survey
            return _survey_page(request, survey, getattr(survey, "response", None), True, 409)
        return redirect(request.path)
    if step == "more" and response is not None:
        if response.completed_at is not None or expired:
            return _survey_page(request, survey, response, expired, status=409)
        try:
            actions.record_more(
                response=response,
                follow_up_answer=request.POST.get("follow_up", ""),
                comment=request.POST.get("comment", ""),
            )
        except actions.SurveyError:
            return _survey_page(request, survey, response, True, status=409)
        return redirect(f"{request.path}?thanks=1")
    return redirect(request.path)


def _token_of(request: HttpRequest) -> str:
    return str(request.resolver_match.kwargs["token"]) if request.resolver_match else ""


def _questions(survey: SurveySent) -> list[dict[str, Any]]:
    template = survey.template
    assert template is not None
    text = texts(template.language)
    asked = []
    if template.csat_scale:
        legend = template.csat_question or text["csat"]
        asked.append(("csat", legend, 1, template.csat_scale))
    if template.ask_nps:
        asked.append(("nps", text["nps"], 0, 10))
    if template.ask_ces:
        asked.append(("ces", text["ces"], 1, 7))
    return [
        {
            "name": name,
            "legend": legend,
            "low": low,
            "high": high,
            "low_label": text[f"{name}_low"],
            "high_label": text[f"{name}_high"],
            "options": list(range(low, high + 1)),
        }
        for name, legend, low, high in asked
    ]


def _scores(
    request: HttpRequest, survey: SurveySent
) -> tuple[dict[str, int | None], dict[str, str]]:
    """The posted scores, each required and within its scale; errors in the page's language."""
    assert survey.template is not None
    text = texts(survey.template.language)
    scores: dict[str, int | None] = {"csat": None, "nps": None, "ces": None}
    errors = {}
    for question in _questions(survey):
        raw = request.POST.get(question["name"], "").strip()
        value = int(raw) if re.fullmatch(r"[0-9]{1,2}", raw) else None
        if value is None or not question["low"] <= value <= question["high"]:
            errors[question["name"]] = text["choose"].format(
                low=question["low"], high=question["high"]
            )
        else:
            scores[question["name"]] = value
    return scores, errors


def _survey_page(
    request: HttpRequest,
    survey: SurveySent,
    response: SurveyResponse | None,
    expired: bool,
    status: int = 200,
    errors: dict[str, str] | None = None,
) -> HttpResponse:
    template = survey.template
    assert template is not None
    language = template.language
    text = texts(language)
    conversation = survey.conversation
    customer = first_name(conversation.customer.name) if conversation.customer else ""
    agent = conversation.agent
    questions = _questions(survey)
    for question in questions:
        question["error"] = (errors or {}).get(question["name"], "")
        question["value"] = request.POST.get(question["name"], "") if errors else ""
        if response is not None:
            question["given"] = getattr(response, question["name"])
    context = {
        "t": text,
        "language": language,
        "organisation": Organisation.current().name,
        "greeting": text["hello"].format(name=customer) if customer else text["hello_anonymous"],
        "about": text["about"].format(
            subject=conversation.subject or "—",
            date=day(timezone.localdate(conversation.created_at), language),
        ),
        "helped_by": text["helped_by"].format(agent=first_name(agent.first_name or agent.name))
        if agent
        else "",
        "questions": questions,
        "response": response,
        "ask_more": response is not None and response.completed_at is None and not expired,
        "ask_comment": template.ask_comment,
        "thanked": request.GET.get("thanks") == "1",
        "first_error": next(iter((errors or {}).values()), ""),
        "replayed": status == 409,
    }
    return render(request, "surveys/answer.html", context, status=status)


def _notice(
    request: HttpRequest, language: str, which: str, status: int, **values: Any
) -> HttpResponse:
    text = texts(language)
    context = {
        "t": text,
        "language": language,
        "organisation": Organisation.current().name,
        "title": text[f"{which}_title"],
        "message": text[which].format(**values),
    }
    return render(request, "surveys/notice.html", context, status=status)


# --- the quality team's pages -------------------------------------------------------------------

PERIODS = (30, 90, 365)


@allowed(may_run_surveys)
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """Surveys sent and answered in the last N days per template, with the response rate and
    its interval; open follow-ups; the latest answers (in the person's teams)."""
    days = int(request.GET["days"]) if request.GET.get("days") in map(str, PERIODS) else 30
    since = timezone.now() - timedelta(days=days)
    sent = sent_for(request.user).filter(sent_at__gte=since)
    rows = []
    for row in (
        sent.values("template__code", "template__name")
        .annotate(
            sent=Count("pk"),
            answered=Count("response"),
            bad=Count("response__follow_up"),
            opened=Count("pk", filter=Q(opened_at__isnull=False)),
        )
        .order_by("template__name")
    ):
        row["rate"] = response_rate(row["answered"], row["sent"])
        rows.append(row)
    follow_ups = follow_ups_for(request.user).select_related(
        "response__conversation", "response__agent", "team"
    )
    context = {
        "nav": "surveys",
        "days": days,
        "periods": PERIODS,
        "rows": rows,
        "open_follow_ups": follow_ups.filter(closed_at__isnull=True).order_by("due_at")[:50],
        "closed_follow_ups": follow_ups.filter(closed_at__isnull=False).order_by("-closed_at")[:10],
        "answers": answers_for(request.user)
        .filter(source=actions.SOURCE)
        .select_related("conversation", "agent")
        .order_by("-answered_at")[:20],
        "templates": Template.objects.all(),
        "waiting_links": actions.waiting_links(sent_for(request.user)).count()
        if may_see_survey_links(request.user)
        else None,
        "now": timezone.now(),
    }
    return render(request, "surveys/overview.html", context)


@allowed(may_run_surveys)
@require_http_methods(["GET", "POST"])
def follow_up(request: HttpRequest, code: str) -> HttpResponse:
    """A bad score's follow-up: the answers, the conversation, and (for leads, managers and
    admins) the outcome to record."""
    item = get_follow_up_for_user(request.user, code)
    error = ""
    if request.method == "POST":
        if not may_follow_up_surveys(request.user):
            return HttpResponse("Leads, managers and admins record follow-ups.", status=403)
        try:
            actions.close_follow_up(
                follow_up=item,
                by=request.user,
                outcome=request.POST.get("outcome", ""),
                note=request.POST.get("note", ""),
            )
        except actions.SurveyError as refused:
            error = str(refused)
        else:
            messages.success(request, "Follow-up recorded.")
            return redirect("survey-follow-up", code=item.code)
    return render(
        request,
        "surveys/follow_up.html",
        {
            "nav": "surveys",
            "item": item,
            "response": item.response,
            "outcomes": FollowUp.Outcome.choices,
            "may_record": may_follow_up_surveys(request.user) and item.closed_at is None,
            "error": error,
            "posted": request.POST if error else {},
            "now": timezone.now(),
        },
        status=400 if error else 200,
    )


@allowed(may_run_surveys)
@require_POST
def send(request: HttpRequest, code: str) -> HttpResponse:
    """Survey this conversation now with the chosen template (from the conversation page)."""
    conversation = get_conversation_for_user(request.user, code)
    template = Template.objects.filter(code=request.POST.get("template", ""), active=True).first()
    if template is None:
        messages.error(request, "Choose an active survey template.")
    else:
        try:
            survey = actions.send_survey(
                conversation=conversation, template=template, by=request.user
            )
        except actions.SurveyError as refused:
            messages.error(request, f"Not sent: {refused}.")
        else:
            how = (
                "e-mailed to the customer"
                if survey.delivery == SurveySent.Delivery.EMAIL
                else "ready for the help desk to send (the customer has no e-mail address, or "
                "the template says so)"
            )
            messages.success(request, f"Survey “{template.name}” {how}.")
    return redirect(reverse("conversation-detail", args=[conversation.code]) + "#survey")


@allowed(may_see_survey_links)
@require_GET
def links(request: HttpRequest) -> HttpResponse:
    """CSV of the survey links waiting for the help desk to send (actions.link_lines)."""
    with transaction.atomic():
        record_event(actor=request.user, action="survey.links_exported", obj=None)
    lines = in_one_transaction(actions.link_lines(actions.waiting_links(sent_for(request.user))))
    response = StreamingHttpResponse(in_pieces(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="survey-links.csv"'
    return response
