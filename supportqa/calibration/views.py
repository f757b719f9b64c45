from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from supportqa.accounts.permissions import (
    allowed,
    may_join_calibration,
    may_organise_calibration,
    may_see_team_reports,
)
from supportqa.calibration.access import get_session_for_user, sessions_for
from supportqa.calibration.actions import create_session, reveal_session
from supportqa.calibration.forms import SessionForm
from supportqa.calibration.results import history, reviewer_standings, session_results
from supportqa.conversations.access import conversations_for
from supportqa.reports.metrics import scored_reviews
from supportqa.reports.periods import PERIOD_CHOICES, period_from
from supportqa.reviews import workspace
from supportqa.reviews.access import reviews_for
from supportqa.reviews.models import Review, ReviewStatus, Source

RECENT_CONVERSATIONS = 60


@allowed(may_see_team_reports)
@require_GET
def reviewer_list(request: HttpRequest) -> HttpResponse:
    """Each reviewer's leniency (+) or severity (−) with its interval, from overlapping reviews
    in the user's scope."""
    period, days = period_from(request)
    reviewers = reviewer_standings(scored_reviews(reviews_for(request.user), period))
    return render(
        request,
        "calibration/reviewer_list.html",
        {
            "reviewers": reviewers,
            "days": days,
            "period_choices": PERIOD_CHOICES,
        },
    )


@allowed(may_join_calibration)
@require_GET
def session_list(request: HttpRequest) -> HttpResponse:
    sessions = sessions_for(request.user).select_related(
        "organiser", "scorecard_version__scorecard"
    )
    return render(
        request,
        "calibration/session_list.html",
        {
            "sessions": sessions,
            "history": history(sessions_for(request.user)),
        },
    )


@allowed(may_organise_calibration)
@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest) -> HttpResponse:
    recent = conversations_for(request.user).filter(agent__isnull=False).select_related("agent")
    recent_codes = list(
        recent.order_by("-created_at").values_list("code", flat=True)[:RECENT_CONVERSATIONS]
    )
    form = SessionForm(
        request.POST or None,
        organiser=request.user,
        conversations=recent.filter(code__in=recent_codes).order_by("-created_at"),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        version = data["scorecard"].current_version()
        session = create_session(
            title=data["title"],
            version=version,
            organiser=request.user,
            conversations=list(data["conversations"]),
            participants=list(data["participants"]),
            baseline=form.baseline_user(),
        )
        messages.success(request, "Calibration session opened; participants were notified.")
        return redirect("calibration-detail", code=session.code)
    return render(
        request,
        "calibration/session_new.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


@allowed(may_join_calibration)
@require_GET
def session_detail(request: HttpRequest, code: str) -> HttpResponse:
    session = get_session_for_user(request.user, code)
    conversations = list(session.conversations.select_related("agent").order_by("pk"))
    participants = list(session.participants.order_by("display_name", "username"))
    status = {
        (r.conversation_id, r.reviewer_id): r.status
        for r in Review.objects.filter(calibration_session=session)
    }
    context = {
        "session": session,
        "conversations": conversations,
        "participants": participants,
        "progress": [
            (p, sum(status.get((c.pk, p.pk)) == ReviewStatus.SUBMITTED for c in conversations))
            for p in participants
        ],
        "mine": {c.pk: status.get((c.pk, request.user.pk)) for c in conversations},
        "is_participant": request.user in participants,
        "enters_agreed_final": session.enters_agreed_final(request.user),
        "can_reveal": request.user == session.organiser and not session.is_revealed,
    }
    if session.is_revealed:
        context["results"] = session_results(session)
    return render(request, "calibration/session_detail.html", context)


@allowed(may_organise_calibration)
@require_POST
def session_reveal(request: HttpRequest, code: str) -> HttpResponse:
    session = get_session_for_user(request.user, code)
    if request.user != session.organiser:
        raise Http404("No such page")
    if not session.is_revealed:
        reveal_session(session=session, by=request.user)
        messages.success(request, "Results revealed to the participants.")
    return redirect("calibration-detail", code=session.code)


def _calibration_desk(request: HttpRequest, code: str, conversation: str) -> workspace.Desk:
    """A participant's blind review of one of the session's conversations (or the
    organiser's agreed final after the reveal): no other reviews are shown."""
    session = get_session_for_user(request.user, code)
    if not (
        session.participants.filter(pk=request.user.pk).exists()
        or session.enters_agreed_final(request.user)
    ):
        raise Http404("No such page")
    target = (
        session.conversations.select_related("agent", "team", "category", "customer")
        .filter(code=conversation)
        .first()
    )
    if target is None or target.agent_id is None:
        raise Http404("No such conversation")
    return workspace.Desk(
        conversation=target,
        source=Source.CALIBRATION,
        version=session.scorecard_version,
        others=Review.objects.none(),
        calibration_session=session,
    )


@allowed(may_join_calibration)
@require_http_methods(["GET", "POST"])
def session_review(request: HttpRequest, code: str, conversation: str) -> HttpResponse:
    return workspace.respond(request, _calibration_desk(request, code, conversation))
