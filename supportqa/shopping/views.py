"""Mystery shopping pages: the shopper's assignments and the recording of a shop; for the
org-wide quality roles, the results by scenario, behaviour and team, and assigning shops."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from supportqa.accounts.models import Role, User
from supportqa.accounts.permissions import (
    allowed,
    may_run_mystery_shopping,
    may_use_mystery_shopping,
)
from supportqa.reviews.forms import parse_review_post, review_form_context
from supportqa.reviews.models import Review, Source
from supportqa.shopping import actions
from supportqa.shopping.access import assignments_for, get_assignment_for_user
from supportqa.shopping.models import Assignment, Scenario
from supportqa.shopping.results import results


@allowed(may_use_mystery_shopping)
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    assignments = assignments_for(request.user).select_related(
        "scenario", "shopper", "conversation__agent", "conversation__team"
    )
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not may_run_mystery_shopping(request.user):
            return HttpResponse("Only QA, managers and admins assign shops.", status=403)
        errors = _assign(request)
        if not errors:
            return redirect("shop-home")
    today = timezone.localdate()
    context: dict[str, Any] = {
        "nav": "shopping",
        "open": assignments.filter(state=Assignment.State.ASSIGNED).order_by("due"),
        "done": assignments.filter(state=Assignment.State.DONE).order_by("-done_at")[:30],
        "today": today,
        "errors": errors,
        "posted": request.POST if errors else {},
    }
    if may_run_mystery_shopping(request.user):
        context.update(
            results=results(assignments),
            scenarios=Scenario.objects.filter(active=True),
            shoppers=User.objects.filter(role=Role.SHOPPER, is_active=True),
        )
    return render(request, "shopping/home.html", context, status=400 if errors else 200)


def _assign(request: HttpRequest) -> dict[str, str]:
    scenario = Scenario.objects.filter(code=request.POST.get("scenario", "")).first()
    shopper = User.objects.filter(code=request.POST.get("shopper", "")).first()
    due = _date(request.POST.get("due", ""))
    missing = {
        name: reason
        for name, value, reason in (
            ("scenario", scenario, "choose a scenario"),
            ("shopper", shopper, "choose a shopper"),
            ("due", due, "give the due date as YYYY-MM-DD"),
        )
        if value is None
    }
    if missing:
        return missing
    assert scenario is not None and shopper is not None and due is not None
    try:
        assignment = actions.assign(scenario=scenario, shopper=shopper, due=due, by=request.user)
    except actions.ShopError as refused:
        return refused.errors
    messages.success(
        request, f"“{scenario.name}” assigned to {shopper.name}, due {assignment.due:%d %b %Y}."
    )
    return {}


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


def _moment(raw: str) -> datetime | None:
    """A datetime-local field's value in the person's time zone."""
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


@allowed(may_use_mystery_shopping)
@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, code: str) -> HttpResponse:
    """A shop: the scenario's brief; for its shopper while to do, the recording form; once
    done, what was recorded and the evaluation."""
    assignment = get_assignment_for_user(request.user, code)
    scenario = assignment.scenario
    version = scenario.scorecard.current_version()
    recording = (
        assignment.state == Assignment.State.ASSIGNED and assignment.shopper_id == request.user.pk
    )
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not recording or version is None:
            return HttpResponse("Only the assigned shopper records an open shop.", status=403)
        ratings, overall = parse_review_post(request.POST, version)
        agent = actions.targets(scenario).filter(code=request.POST.get("agent", "")).first()
        try:
            actions.record_shop(
                assignment=assignment,
                by=request.user,
                happened_at=_moment(request.POST.get("happened_at", "")),
                agent=agent,
                notes=request.POST.get("notes", ""),
                ratings=ratings,
                overall_comment=overall,
            )
        except actions.ShopError as refused:
            errors = refused.errors
        else:
            messages.success(request, "Shop recorded. Thank you.")
            return redirect("shop-detail", code=assignment.code)
    context: dict[str, Any] = {
        "nav": "shopping",
        "assignment": assignment,
        "scenario": scenario,
        "recording": recording,
        "errors": errors,
        "posted": request.POST if errors else {},
        "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    if recording and version is not None:
        context.update(review_form_context(version, None, request.POST if errors else None))
        context["agents"] = actions.targets(scenario).order_by("display_name")
    if assignment.conversation is not None:
        context["evaluation"] = (
            Review.objects.filter(conversation=assignment.conversation, source=Source.MYSTERY_SHOP)
            .select_related("scorecard_version")
            .prefetch_related("ratings__criterion", "ratings__option")
            .first()
        )
        context["notes"] = assignment.conversation.messages.first()
    return render(request, "shopping/detail.html", context, status=400 if errors else 200)
