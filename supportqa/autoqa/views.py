from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from supportqa.accounts.models import Role
from supportqa.autoqa import report
from supportqa.autoqa.actions import UNSURE_BELOW
from supportqa.autoqa.models import LearnedModel
from supportqa.conversations.access import conversations_for
from supportqa.reports.periods import PERIOD_CHOICES, period_from
from supportqa.reviews.access import reviews_for
from supportqa.reviews.models import IQS_SOURCES, SCORED_STATUSES, Source

AUTOQA_PAGE_ROLES = (Role.QA, Role.LEAD, Role.MANAGER, Role.ADMIN)


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """AQS by criterion and agent, detector hit rates, agreement with human reviewers and the
    conversations AutoQA is unsure about, within the user's scope."""
    if request.user.role not in AUTOQA_PAGE_ROLES:
        raise Http404("No such page")
    period, days = period_from(request)
    # AutoQA rescoring moves its submission time: the period is the conversations' creation.
    reviews = reviews_for(request.user).filter(
        status__in=SCORED_STATUSES,
        conversation__created_at__gte=period.start,
        conversation__created_at__lt=period.end,
    )
    autoqa = reviews.filter(source=Source.AUTOQA)
    return render(
        request,
        "autoqa/dashboard.html",
        {
            "nav": "autoqa",
            "days": days,
            "period_choices": PERIOD_CHOICES,
            "count": autoqa.count(),
            "criteria": report.aqs_by_criterion(autoqa),
            "agents": report.aqs_by_agent(autoqa),
            "detectors": report.hit_rates(autoqa),
            "agreement": report.agreement(autoqa, reviews.filter(source__in=IQS_SOURCES)),
            "unsure": report.unsure_queue(conversations_for(request.user), limit=20),
            "unsure_below": UNSURE_BELOW,
            "learned": LearnedModel.objects.order_by("scorecard_slug", "criterion_key"),
            "learned_in_use": set(
                LearnedModel.objects.filter(active=True).values_list("criterion_key", flat=True)
            ),
        },
    )
