from __future__ import annotations

import json

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from supportqa.accounts.permissions import allowed, may_manage_scorecards
from supportqa.core.jsontext import json_problem, load_json
from supportqa.scorecards.actions import publish_version
from supportqa.scorecards.building import SpecError, spec_changes, spec_of
from supportqa.scorecards.models import Scorecard


@allowed(may_manage_scorecards)
@require_GET
def scorecard_list(request: HttpRequest) -> HttpResponse:
    scorecards = Scorecard.objects.annotate(version_count=Count("versions"))
    return render(request, "scorecards/list.html", {"scorecards": scorecards})


@allowed(may_manage_scorecards)
@require_http_methods(["GET", "POST"])
def scorecard_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Edit as JSON; saving publishes the next version (earlier reviews keep theirs)."""
    scorecard = Scorecard.objects.filter(slug=slug).first()
    if scorecard is None:
        raise Http404("No such scorecard")
    current = scorecard.current_version()
    text = (
        request.POST.get("spec", "")
        if request.method == "POST"
        else json.dumps(spec_of(current) if current else {}, indent=2, ensure_ascii=False)
    )
    error = ""
    if request.method == "POST":
        try:
            spec = load_json(text)
            version = publish_version(scorecard=scorecard, spec=spec, by=request.user)
        except SpecError as exc:
            error = str(exc)
        except json.JSONDecodeError as exc:
            error = f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        except ValueError as exc:
            error = json_problem(exc).replace("invalid JSON", "Not valid JSON", 1)
        else:
            messages.success(
                request,
                f"Published {scorecard.name} v{version.number}; "
                "existing reviews keep the version they used.",
            )
            return redirect("scorecard-list")
    return render(
        request,
        "scorecards/edit.html",
        {
            "scorecard": scorecard,
            "current": current,
            "text": text,
            "error": error,
        },
        status=400 if error else 200,
    )


@allowed(may_manage_scorecards)
@require_GET
def scorecard_versions(request: HttpRequest, slug: str) -> HttpResponse:
    """Every version of a scorecard, newest first, with what it changed from the one before
    and how many reviews were made with it."""
    scorecard = Scorecard.objects.filter(slug=slug).first()
    if scorecard is None:
        raise Http404("No such scorecard")
    versions = list(
        scorecard.versions.select_related("created_by")
        .prefetch_related("sections__criteria__options")
        .annotate(review_count=Count("reviews"))
        .order_by("number")
    )
    specs = [spec_of(v) for v in versions]
    history = [
        (version, spec_changes(specs[i - 1], specs[i]) if i else None)
        for i, version in enumerate(versions)
    ]
    return render(
        request,
        "scorecards/versions.html",
        {"scorecard": scorecard, "history": history[::-1], "nav": "scorecards"},
    )
