from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from supportqa.accounts.permissions import allowed, may_manage_scorecards
from supportqa.core.jsontext import json_problem, load_json
from supportqa.core.scoring import CRITICAL_FAIL_BELOW
from supportqa.scorecards import builder
from supportqa.scorecards.actions import publish_version, rubric_changed, save_scorecard
from supportqa.scorecards.building import SpecError, spec_changes, spec_of, validate_spec
from supportqa.scorecards.forms import ScorecardForm
from supportqa.scorecards.models import Scorecard, ScorecardVersion


def _scorecard(slug: str) -> Scorecard:
    scorecard = Scorecard.objects.filter(slug=slug).first()
    if scorecard is None:
        raise Http404("No such scorecard")
    return scorecard


@allowed(may_manage_scorecards)
@require_GET
def scorecard_list(request: HttpRequest) -> HttpResponse:
    scorecards = Scorecard.objects.annotate(version_count=Count("versions")).prefetch_related(
        "categories", "teams"
    )
    return render(request, "scorecards/list.html", {"scorecards": scorecards, "nav": "scorecards"})


@allowed(may_manage_scorecards)
@require_http_methods(["GET", "POST"])
def scorecard_build(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """The builder: the scorecard's settings and conditions, and its rubric as a draft that
    the buttons edit (add, move, remove) and the preview scores; publishing saves the
    settings and, when the rubric changed, its next version (earlier reviews keep theirs)."""
    scorecard = _scorecard(slug) if slug else Scorecard()
    current = scorecard.current_version() if scorecard.pk else None
    if request.method == "GET":
        form = ScorecardForm(instance=scorecard)
        spec = spec_of(current) if current else builder.blank_spec()
        return _builder_page(request, form, spec)
    form = ScorecardForm(request.POST, instance=scorecard)
    spec = builder.draft_from_form(request.POST)
    op = request.POST.get("op", "publish")
    if op == "preview":
        return _builder_page(request, form, spec, partial=request.GET.get("partial") == "preview")
    if op != "publish":
        try:
            spec, focus = builder.edit(spec, op)
        except builder.EditError as exc:
            return _builder_page(request, form, spec, error=str(exc), status=400)
        return _builder_page(request, form, spec, focus=focus)
    rubric = builder.finished(spec)
    try:
        validate_spec(rubric)
    except SpecError as exc:
        form.is_valid()  # its errors show beside the rubric's
        return _builder_page(request, form, spec, error=str(exc), status=400)
    if not form.is_valid():
        return _builder_page(
            request, form, spec, error="Check the scorecard's settings below.", status=400
        )
    saved, version = save_scorecard(form=form, spec=rubric, by=request.user)  # type: ignore[arg-type]
    if version is None:
        messages.success(
            request, f"Saved {saved.name}; the rubric did not change (no new version)."
        )
    else:
        _published(request, version)
    return redirect("scorecard-versions", saved.slug)


def _published(request: HttpRequest, version: ScorecardVersion) -> None:
    messages.success(
        request,
        f"Published {version.scorecard.name} v{version.number}; "
        "existing reviews keep the version they were made with.",
    )


def _builder_page(
    request: HttpRequest,
    form: ScorecardForm,
    spec: dict[str, Any],
    *,
    error: str = "",
    focus: str = "",
    status: int = 200,
    partial: bool = False,
) -> HttpResponse:
    scorecard = form.instance
    current = scorecard.current_version() if scorecard.pk else None
    try:
        validate_spec(builder.finished(spec))
        previews = builder.preview(builder.finished(spec, keep_samples=True))
        problem = ""
    except SpecError as exc:
        previews, problem = [], builder.describe(str(exc), spec)
    context = {
        "scorecard": scorecard if scorecard.pk else None,
        "current": current,
        "next_number": (current.number + 1) if current else 1,
        "form": form,
        "spec": spec,
        "sections": builder.with_ids(spec),
        "critical_below": CRITICAL_FAIL_BELOW,
        "error": builder.describe(error, spec) if error else "",
        "error_field": builder.field_of(error) if error else "",
        "error_reason": error.partition(": ")[2] or error,
        "focus": focus,
        "previews": previews,
        "preview_problem": problem,
        "nav": "scorecards",
    }
    if partial:
        return render(request, "scorecards/_preview.html", context)
    return render(request, "scorecards/build.html", context, status=status)


@allowed(may_manage_scorecards)
@require_http_methods(["GET", "POST"])
def scorecard_json(request: HttpRequest, slug: str) -> HttpResponse:
    """Import and export as JSON: `?download=1` gives the current version's file; posting a
    file or pasted text publishes it as the next version."""
    scorecard = _scorecard(slug)
    current = scorecard.current_version()
    spec = spec_of(current) if current else {}
    if request.method == "GET" and request.GET.get("download"):
        response = HttpResponse(
            json.dumps(spec, indent=2, ensure_ascii=False), content_type="application/json"
        )
        number = current.number if current else 0
        response["Content-Disposition"] = f'attachment; filename="{slug}-v{number}.json"'
        return response
    text = json.dumps(spec, indent=2, ensure_ascii=False)
    error = ""
    other = ""  # the slug of another scorecard the file was exported from
    if request.method == "POST":
        upload = request.FILES.get("file")
        text = upload.read().decode("utf-8", "replace") if upload else request.POST.get("spec", "")
        try:
            loaded = load_json(text)
            validate_spec(loaded)
            other = str(loaded.get("slug") or "")
            if other == scorecard.slug or request.POST.get("other_slug") == other:
                other = ""
            if other:
                raise SpecError(
                    f"this file holds the scorecard “{other}”, not “{scorecard.slug}”: "
                    "importing replaces this scorecard's rubric with that one"
                )
            if not rubric_changed(scorecard, loaded):
                messages.info(request, "The file holds the current rubric: no new version.")
                return redirect("scorecard-versions", scorecard.slug)
            version = publish_version(scorecard=scorecard, spec=loaded, by=request.user)  # type: ignore[arg-type]
        except SpecError as exc:
            error = str(exc)
        except json.JSONDecodeError as exc:
            error = f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        except ValueError as exc:
            error = json_problem(exc).replace("invalid JSON", "Not valid JSON", 1)
        else:
            _published(request, version)
            return redirect("scorecard-versions", scorecard.slug)
    return render(
        request,
        "scorecards/json.html",
        {"scorecard": scorecard, "current": current, "text": text, "error": error,
         "other": other, "nav": "scorecards"},
        status=400 if error else 200,
    )  # fmt: skip


@allowed(may_manage_scorecards)
@require_GET
def scorecard_versions(request: HttpRequest, slug: str) -> HttpResponse:
    """Every version of a scorecard, newest first, with what it changed from the one before
    and how many reviews were made with it."""
    scorecard = _scorecard(slug)
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
