from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from supportqa.accounts.permissions import allowed, may_administer, may_see_autoqa, signed_in
from supportqa.autoqa import report
from supportqa.autoqa.actions import (
    UNSURE_BELOW,
    flag_ratings,
    publish_validations,
    save_settings,
)
from supportqa.autoqa.evaluation import evaluate_files, figures_of, in_words, size_of
from supportqa.autoqa.forms import EvaluateForm, SettingsForm
from supportqa.autoqa.models import Flag, LearnedModel, Validation, detector_label
from supportqa.conversations.access import scope_of
from supportqa.core.autoqa import DETECTORS
from supportqa.reports.periods import PERIOD_CHOICES, period_from
from supportqa.reviews.access import (
    get_review_for_user,
    may_flag_autoqa,
    reviewee_scope,
)
from supportqa.reviews.actions import ReviewInvalid
from supportqa.reviews.forms import ticked_proposals
from supportqa.uploads import over_the_upload_limit


@allowed(may_see_autoqa)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """AQS by criterion and agent, detector hit rates, agreement with human reviewers and the
    conversations AutoQA is unsure about, within the user's scope."""
    period, days = period_from(request)
    # Whose results: the agents the person may see (the period is the conversations'
    # creation, on every AutoQA figure).
    agents = reviewee_scope(request.user, "agent")
    totals = report.totals(agents, period)
    return render(
        request,
        "autoqa/dashboard.html",
        {
            "nav": "autoqa",
            "days": days,
            "period_choices": PERIOD_CHOICES,
            "count": totals.count,
            "criteria": totals.criteria,
            "agents": totals.agents,
            "detectors": totals.detectors,
            "agreement": report.agreement(agents, period),
            "unsure_check": report.unsure_check(agents, period),
            "unsure": report.unsure_queue(scope_of(request.user), limit=20),
            "flags": report.flag_counts(scope_of(request.user), period),
            "unsure_below": UNSURE_BELOW,
            "learned": LearnedModel.objects.order_by("scorecard_slug", "criterion_key"),
            "validations": [
                (
                    v,
                    detector_label(v.detector),
                    in_words(v.kind, v.detector, v.n, v.figures, v.threshold),
                )
                for v in Validation.objects.all()
            ],
            "learned_in_use": set(
                LearnedModel.objects.filter(active=True).values_list("criterion_key", flat=True)
            ),
        },
    )


@allowed(may_administer)
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    """Admins edit AutoQA's phrase lists, response-time targets and detector mapping; saving
    queues every scored conversation to be scored again under the new settings."""
    if request.method == "POST" and request.POST.get("action") == "defaults":
        saved = save_settings(request.user, {}, {})
        messages.success(request, f"Defaults restored; {_requeued(saved)}")
        return redirect("autoqa-settings")
    form = SettingsForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            rules, mapping = form.overrides()
            saved = save_settings(request.user, rules, mapping)
            changed = len(rules) + sum(len(c) for c in mapping.values())
            messages.success(
                request, f"Saved: {changed} settings differ from the defaults; {_requeued(saved)}"
            )
            return redirect("autoqa-settings")
        messages.error(request, "Nothing was saved: correct the fields marked below.")
    return render(
        request,
        "autoqa/settings.html",
        {
            "nav": "autoqa",
            "form": form,
            "detectors": [(d, detector_label(d)) for d in DETECTORS],
        },
        status=400 if form.errors else 200,
    )


@allowed(may_administer)
@require_http_methods(["GET", "POST"])
def evaluate_page(request: HttpRequest) -> HttpResponse:
    """Admins measure the detectors against a labelled set (what `supportqa autoqa evaluate`
    does) and may show the figures on the AutoQA page."""
    status, evaluation, upload_error = 200, None, ""
    if request.method == "POST" and over_the_upload_limit(request):
        form = EvaluateForm()
        limit = settings.SUPPORTQA_MAX_UPLOAD_BYTES // (1024 * 1024)
        upload_error, status = f"The files are larger than the {limit} MB limit.", 413
    else:
        form = EvaluateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and not upload_error:
        if form.is_valid():
            data = form.cleaned_data
            evaluation = evaluate_files(
                data["conversations"].read(),
                data["labels"].read(),
                threshold=data["threshold"],
                na=data["na"],
            )
            if not evaluation.reports:
                upload_error, status = "No label could be evaluated: see the rows below.", 400
            elif data["publish"]:
                shown = publish_validations(evaluation, data["dataset"], request.user)
                messages.success(
                    request, f"{len(shown)} figure set(s) are now shown on the AutoQA page."
                )
        else:
            status = 400
    return render(
        request,
        "autoqa/evaluate.html",
        {
            "nav": "autoqa",
            "form": form,
            "evaluation": evaluation,
            "upload_error": upload_error,
            "words": [
                (
                    report,
                    detector_label(report.detector),
                    in_words(
                        report.kind,
                        report.detector,
                        size_of(report),
                        figures_of(report),
                        evaluation.threshold if report.kind == "binary" else None,
                    ),
                )
                for report in (evaluation.reports if evaluation else [])
            ],
        },
        status=status,
    )


def _requeued(count: int) -> str:
    return (
        f"{count} scored conversations are queued to be scored again "
        "(running AutoQA workers pick them up; else run supportqa worker --until-empty)."
    )


@allowed(signed_in)
@require_http_methods(["GET", "POST"])
def flag(request: HttpRequest, code: str) -> HttpResponse:
    """The reviewed agent or a reviewer says some of AutoQA's ratings are wrong, and why."""
    review = get_review_for_user(request.user, code)
    if not may_flag_autoqa(request.user, review):
        raise Http404("No such page")
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            count = flag_ratings(
                review=review,
                by=request.user,
                proposals=ticked_proposals(request.POST, "flag"),
                reason=request.POST.get("reason", "")[:5000],
            )
        except ReviewInvalid as invalid:
            errors = invalid.errors
        else:
            messages.success(
                request,
                f"Thank you: {count} rating{'' if count == 1 else 's'} flagged. The quality team "
                "sees the flag on the AutoQA page and the conversation goes to a person.",
            )
            return redirect("review-detail", code=review.code)
    ratings = review.ratings.select_related("criterion__section", "option").prefetch_related(
        "criterion__options"
    )
    return render(
        request,
        "autoqa/flag.html",
        {
            "review": review,
            "ratings": ratings.order_by("criterion__section__position", "criterion__position"),
            "flags": Flag.objects.filter(conversation=review.conversation).select_related(
                "raised_by"
            ),
            "errors": errors,
            "posted": request.POST if errors else {},
        },
        status=400 if errors else 200,
    )
