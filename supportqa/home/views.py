from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from supportqa.accounts.permissions import (
    allowed,
    has_own_performance,
    may_administer,
    may_decide_disputes,
    may_follow_up_surveys,
    may_review,
    may_shop,
    signed_in,
)
from supportqa.coaching.library import asked_of as library_asked_of
from supportqa.coaching.models import Session
from supportqa.home import cards
from supportqa.reports.periods import PERIOD_CHOICES, period_from
from supportqa.shopping.access import assignments_for
from supportqa.shopping.models import Assignment
from supportqa.surveys.access import follow_ups_for
from supportqa.workflow.access import waiting_for
from supportqa.workflow.engine import feedback_waiting


@allowed(signed_in)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Each person's start page: the cards of every role they hold (an agent's own figures
    and reviews; a reviewer's queue, disputes and calibration; a lead's or manager's team
    table, disputes to decide and cycles; an admin's imports, queues and loose accounts)."""
    user = request.user
    period, days = period_from(request, default="30")
    context = {
        "period": period,
        "days": days,
        "period_choices": PERIOD_CHOICES,
        "nav": "home",
        "admin": cards.admin_cards() if may_administer(user) else None,
        "agent": cards.agent_cards(user, period) if has_own_performance(user) else None,
        "reviewer": cards.reviewer_cards(user) if may_review(user) else None,
        "team": cards.team_cards(user, period) if may_decide_disputes(user) else None,
        "shopper": may_shop(user),
        "shops": cards.kept(
            user,
            "shops",
            lambda slots: (
                assignments_for(user)
                .filter(state=Assignment.State.ASSIGNED)
                .select_related("scenario")
                .order_by("due")[:8]
            ),
        )
        if may_shop(user)
        else [],
        "follow_ups": cards.kept(
            user,
            "follow-ups",
            lambda slots: (
                follow_ups_for(user)
                .filter(closed_at__isnull=True)
                .select_related("response__agent")
                .order_by("due_at")[:8]
            ),
        )
        if may_follow_up_surveys(user)
        else [],
        "today": timezone.localdate(),
        "now": timezone.now(),
        "requests": cards.kept(user, "requests", lambda slots: waiting_for(user)[:8]),
        "feedback": cards.kept(
            user,
            "feedback",
            lambda slots: feedback_waiting(user).select_related("conversation")[:8],
        ),
        "asked": cards.kept(user, "asked", lambda slots: library_asked_of(user)[:5]),
        "coaching": cards.kept(
            user,
            "coaching",
            lambda slots: (
                Session.objects.filter(agent=user, state__in=["scheduled", "held"])
                .select_related("coach")
                .order_by("starts_at")[:3]
            ),
        ),
    }
    return render(request, "home/home.html", context)
