from __future__ import annotations

from collections import defaultdict

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from supportqa.accounts.models import Role, User
from supportqa.core.leniency import reviewer_offsets
from supportqa.reports.metrics import scored_reviews
from supportqa.reports.periods import PERIOD_CHOICES, period_from
from supportqa.reviews.access import reviews_for

REVIEWER_PAGE_ROLES = (Role.QA, Role.LEAD, Role.MANAGER, Role.ADMIN)


@require_GET
def reviewer_list(request: HttpRequest) -> HttpResponse:
    """Each reviewer's leniency (+) or severity (−) with its interval, from overlapping reviews
    in the user's scope."""
    if request.user.role not in REVIEWER_PAGE_ROLES:
        raise Http404("No such page")
    period, days = period_from(request)
    rows = list(
        scored_reviews(reviews_for(request.user), period)
        .filter(reviewer__isnull=False)
        .values_list("conversation_id", "reviewer_id", "final_score")
    )
    offsets = reviewer_offsets(rows)
    given: dict[int, list[float]] = defaultdict(list)
    for _, reviewer, score in rows:
        given[reviewer].append(score)
    people = {u.pk: u for u in User.objects.filter(pk__in=given)}
    reviewers = sorted(
        (
            {
                "user": people[pk],
                "reviews": len(scores),
                "mean": sum(scores) / len(scores),
                "offset": offsets.get(pk),
            }
            for pk, scores in given.items()
        ),
        key=lambda r: -(r["offset"].value if r["offset"] else float("-inf")),
    )
    return render(
        request,
        "calibration/reviewer_list.html",
        {
            "reviewers": reviewers,
            "days": days,
            "period_choices": PERIOD_CHOICES,
        },
    )
