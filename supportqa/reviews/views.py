from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from supportqa.reviews.access import get_review_for_user


@require_GET
def review_detail(request: HttpRequest, code: str) -> HttpResponse:
    review = get_review_for_user(request.user, code)
    ratings = (
        review.ratings.select_related("criterion__section", "option")
        .prefetch_related("root_causes", "evidence")
        .order_by("criterion__section__position", "criterion__position")
    )
    return render(request, "reviews/detail.html", {"review": review, "ratings": ratings})
